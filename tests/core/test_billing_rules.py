"""Billing rules: first matching rule wins each setting on its own (Hypothesis), conditions in
words with whether they hold, and rules as JSON both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing_rules import (
    Conditions,
    CustomerType,
    Effects,
    InvoiceFacts,
    Rule,
    Setting,
    decide,
    rule_from_json,
    rule_to_json,
)
from core.errors import ValidationError

facts_strategy = st.builds(
    InvoiceFacts,
    customer_type=st.sampled_from(list(CustomerType)),
    store_id=st.one_of(st.none(), st.integers(1, 3)),
    skus=st.frozensets(st.sampled_from(["BOX-1", "BOX-2", "MUG-1", "TEA-9"]), max_size=3),
    country=st.sampled_from(["FR", "BE", "DE"]),
    currency=st.sampled_from(["EUR", "USD"]),
    total=st.integers(0, 100_000),
    tags=st.frozensets(st.sampled_from(["vip", "pro", "noël"]), max_size=2),
)
conditions_strategy = st.builds(
    Conditions,
    customer_type=st.one_of(st.none(), st.sampled_from(list(CustomerType))),
    customer_tag=st.one_of(st.none(), st.sampled_from(["VIP", "pro", "Noël"])),
    store_id=st.one_of(st.none(), st.integers(1, 3)),
    sku_prefix=st.one_of(st.none(), st.sampled_from(["BOX", "MUG"])),
    country=st.one_of(st.none(), st.sampled_from(["FR", "BE"])),
    currency=st.one_of(st.none(), st.just("EUR")),
    min_total=st.one_of(st.none(), st.integers(0, 50_000)),
    max_total=st.one_of(st.none(), st.integers(50_000, 100_000)),
)
effects_strategy = st.builds(
    Effects,
    payment_terms_days=st.one_of(st.none(), st.integers(0, 60)),
    methods=st.one_of(st.none(), st.just(("card",)), st.just(("card", "bank_transfer"))),
    early_discount_percent=st.one_of(st.none(), st.integers(1, 10)),
    early_discount_hours=st.one_of(st.none(), st.integers(1, 48)),
    channel=st.one_of(st.none(), st.sampled_from(["sms", "email"])),
    reminders=st.one_of(st.none(), st.just(False)),
)
rules_strategy = st.lists(
    st.builds(Rule, st.just("r"), conditions_strategy, effects_strategy), max_size=6
).map(lambda rules: [Rule(f"rule {n}", r.conditions, r.effects) for n, r in enumerate(rules)])


@given(rules=rules_strategy, facts=facts_strategy)
def test_each_setting_comes_from_the_first_matching_rule_that_sets_it(rules, facts):
    decision = decide(rules, facts)
    for setting in Setting:
        first = next(
            (r for r in rules if r.conditions.match(facts) and setting in r.effects.decided()),
            None,
        )
        if first is None:
            assert setting not in decision.values
        else:
            assert decision.by_rule[setting] == first.name
            assert decision.values[setting] == first.effects.decided()[setting]


@given(rules=rules_strategy, facts=facts_strategy, extra=effects_strategy)
def test_a_rule_that_does_not_match_changes_nothing(rules, facts, extra):
    never = Rule("never", Conditions(currency="JPY"), extra)
    assert decide([never, *rules], facts) == decide(rules, facts)


@given(rules=rules_strategy)
def test_rules_survive_json(rules):
    assert [rule_from_json(rule_to_json(r)) for r in rules] == rules


def test_reasons_say_which_condition_failed():
    facts = InvoiceFacts(CustomerType.CONSUMER, None, frozenset({"MUG-1"}), "FR", "EUR", 4_500)
    rule = Conditions(customer_type=CustomerType.BUSINESS, sku_prefix="MUG", min_total=1_000)
    assert rule.reasons(facts) == [
        ("customer_type", CustomerType.BUSINESS, False),
        ("sku_prefix", "MUG", True),
        ("min_total", 1_000, True),
    ]


def test_a_customer_tag_matches_whatever_its_case():
    facts = InvoiceFacts(CustomerType.CONSUMER, None, frozenset(), "FR", "EUR", 4_500,
                         frozenset({"noël", "vip"}))  # fmt: skip
    assert Conditions(customer_tag="NOËL").match(facts)
    assert Conditions(customer_tag=" VIP ").match(facts)
    assert not Conditions(customer_tag="pro").match(facts)


def test_bad_rules_are_refused_with_a_reason():
    for bad, reason in (
        ({"name": "x", "then": {"payment_terms_days": 400}}, "0 to 365"),
        ({"name": "x", "then": {"channel": "fax"}}, "sms or email"),
        ({"name": "x", "when": {"customer_type": "robot"}}, "name, when, then"),
        ({"name": "x", "when": {"colour": "red"}}, "name, when, then"),
        ({"then": {}}, "name, when, then"),
    ):
        with pytest.raises(ValidationError, match=reason):
            rule_from_json(bad)
