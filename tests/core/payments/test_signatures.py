from datetime import UTC, datetime

import pytest

from core.payments import signatures
from core.payments.provider import InvalidSignature

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BODY = b'{"id":"evt_1","type":"checkout.session.completed"}'


def header(body=BODY, secret="whsec_a", at=NOW) -> str:
    return signatures.signature_header(body, secret, int(at.timestamp()))


def test_the_reference_vector_signs_t_dot_body():
    # HMAC-SHA256("whsec_test", "1614556800.{}") computed independently with hashlib
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b"1614556800.{}", hashlib.sha256).hexdigest()
    assert signatures.sign(b"{}", "whsec_test", 1614556800) == expected


def test_a_good_signature_passes_with_any_configured_secret():
    signatures.verify(BODY, header(secret="whsec_b"), ["whsec_a", "whsec_b"], NOW)


def test_several_v1_signatures_cover_a_secret_roll_at_the_sender():
    timestamp = int(NOW.timestamp())
    both = (
        f"t={timestamp},v1={signatures.sign(BODY, 'old', timestamp)},"
        f"v1={signatures.sign(BODY, 'new', timestamp)}"
    )
    signatures.verify(BODY, both, ["new"], NOW)


@pytest.mark.parametrize(
    ("body", "value", "reason"),
    [
        (BODY + b" ", None, "does not match"),  # altered body
        (BODY, "t=1,v1=00", "tolerance"),
        (BODY, "v1=abc", "malformed"),
        (BODY, "", "missing"),
        (BODY, "garbage", "malformed"),
    ],
)
def test_bad_signatures_are_refused(body, value, reason):
    with pytest.raises(InvalidSignature, match=reason):
        signatures.verify(body, header() if value is None else value, ["whsec_a"], NOW)


def test_a_stale_delivery_is_refused_even_when_correctly_signed():
    old = datetime(2026, 3, 2, 9, 24, tzinfo=UTC)
    with pytest.raises(InvalidSignature, match="tolerance"):
        signatures.verify(BODY, header(at=old), ["whsec_a"], NOW)
    with pytest.raises(InvalidSignature):
        signatures.verify(BODY, header(secret="whsec_other"), ["whsec_a"], NOW)
