"""Payment link codes and signed, expiring tokens.

A link code is the `<code>` in `/i/<code>`: short enough for one SMS segment, random enough that
nobody finds an invoice by guessing (12 URL-safe characters carry 72 bits). Uniqueness is the
database's job (a unique column); this module only draws codes.

Tokens (OAuth state, unsubscribe and survey links) are itsdangerous signatures with a salt per
purpose, so a token minted for one purpose is worthless for another.
"""

from __future__ import annotations

import enum
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from core.clock import Clock, utc_now
from core.errors import ValidationError

LINK_CODE_BYTES = 9  # 9 random bytes -> 12 base64url characters, 72 bits of entropy
LINK_CODE_LENGTH = 12
_LINK_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_link_code() -> str:
    """A fresh random code for `/i/<code>`."""
    return secrets.token_urlsafe(LINK_CODE_BYTES)


def payment_url(base_url: str, code: str) -> str:
    """The customer's payment link (`<base>/i/<code>`): ours and stable, the one every message,
    store note and API answer gives. With an empty base, the path alone (for redirects)."""
    return f"{base_url.rstrip('/')}/i/{code}"


def receipt_url(base_url: str, code: str) -> str:
    """The receipt page of a paid invoice, under its payment link."""
    return f"{payment_url(base_url, code)}/receipt"


def survey_url(base_url: str, code: str) -> str:
    """The satisfaction survey of a paid invoice, under its payment link (the link's code is
    the customer's key to it, as to the payment page)."""
    return f"{payment_url(base_url, code)}/survey"


def looks_like_link_code(value: str) -> bool:
    """Cheap shape check before any database look-up (and before rate limiting counts it)."""
    return len(value) == LINK_CODE_LENGTH and set(value) <= _LINK_ALPHABET


class TokenPurpose(enum.StrEnum):
    OAUTH_STATE = "oauth-state"
    UNSUBSCRIBE = "unsubscribe"
    SURVEY = "survey"
    PAY_FORM = "pay-form"  # the payment page's form: a stateless CSRF token bound to the link
    SANDBOX_CHECKOUT = "sandbox-checkout"
    NOTICE = "notice"  # a console notice carried by a redirect inside a store's admin frame
    SUBSCRIPTION = "subscription"  # the customer's form pausing or cancelling a subscription


class InvalidToken(ValidationError):
    """A token that is forged, altered, made for another purpose, or expired."""

    http_status = 400
    code = "invalid_token"


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamps from our clock instead of the system's, so a token's age is
    measured on the same time as everything else (and tests can make one expire)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


class TokenSigner:
    """Signs small JSON payloads with the app's secret key, one salt per purpose."""

    def __init__(self, secret_key: str | bytes, clock: Clock = utc_now) -> None:
        self._secret_key = secret_key
        self._clock = clock
        self._serializers: dict[TokenPurpose, URLSafeTimedSerializer] = {}

    def _serializer(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        """One per purpose, made on first use (a signer kept by a page signs on every view)."""
        serializer = self._serializers.get(purpose)
        if serializer is None:
            serializer = self._serializers[purpose] = URLSafeTimedSerializer(
                self._secret_key,
                salt=f"paylink.{purpose.value}",
                signer=_ClockedSigner,
                signer_kwargs={"clock": self._clock},
            )
        return serializer

    def sign(self, purpose: TokenPurpose, payload: Any) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, purpose: TokenPurpose, token: str, max_age_seconds: int) -> Any:
        try:
            return self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise InvalidToken("this link has expired") from None
        except BadSignature:
            raise InvalidToken("this link is not valid") from None
