"""Text as people read it: phone numbers grouped, labels kept on one line."""

from core.web.typography import readable_phone, unbroken

NBSP = "\u00a0"


def test_a_stored_phone_number_is_grouped_on_one_line():
    shown = readable_phone("+33612345678")
    assert shown.startswith(f"+33{NBSP}")
    assert shown.count(NBSP) >= 3 and " " not in shown
    assert shown.replace(NBSP, "") == "+33612345678"  # only spacing added


def test_what_is_not_a_phone_number_comes_back_as_it_is():
    assert readable_phone("marie@example.fr") == "marie@example.fr"
    assert readable_phone("+999123") == "+999123"  # no such country code
    assert readable_phone(None) == ""


def test_unbroken_keeps_a_label_on_one_line():
    assert unbroken("Visa •••• 4242") == f"Visa{NBSP}••••{NBSP}4242"
