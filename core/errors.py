"""Domain exceptions, mapped to HTTP answers and CLI messages in one place each.

Every error a caller can cause carries a message that says what was wrong, so the web layer can
answer 4xx with that reason and never a traceback.
"""

from __future__ import annotations


class PaylinkError(Exception):
    """Base of every error Paylink raises on purpose.

    The message is English (API answers, logs, the CLI). An error people see in their own
    language also carries a `key` and the `values` its message was made of, which the console
    looks up in its catalogues; an error without a key is shown as its message.
    """

    http_status = 500
    code = "internal_error"

    def __init__(self, *args: object, key: str | None = None, **values: object) -> None:
        super().__init__(*args)
        self.key = key
        self.values = values

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class ValidationError(PaylinkError, ValueError):
    """Input that cannot be accepted as it is (bad amount, currency, phone, email...)."""

    http_status = 422
    code = "invalid"


class NotFound(PaylinkError, LookupError):
    """An id or code that does not name anything the caller may see."""

    http_status = 404
    code = "not_found"


class InvalidTransition(PaylinkError):
    """A status change the invoice state machine does not allow (e.g. voiding a paid invoice)."""

    http_status = 409
    code = "invalid_transition"


class Conflict(PaylinkError):
    """The request contradicts what is stored (same key, different content)."""

    http_status = 409
    code = "conflict"


class Unauthorized(PaylinkError):
    """Missing, wrong or revoked credentials."""

    http_status = 401
    code = "unauthorized"


class ConfigurationError(PaylinkError):
    """Settings that cannot work (bad key material, unknown database URL)."""

    code = "configuration_error"


#: What reading a payload of an unexpected shape raises (a list where an object was expected,
#: a string for a number, a missing key, JSON nested deeper than Python parses): every
#: platform and provider parser lets only these out, and the code reading a delivery turns them
#: into one "unusable payload", kept and shown, never retried. `ValidationError` is a
#: `ValueError`.
MALFORMED_PAYLOAD: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    RecursionError,
)


class OutsideServiceFailed(PaylinkError):
    """A provider, store or SMS service refused or failed a call; its own words are kept (as a
    short excerpt). A job meeting it is retried with backoff."""

    http_status = 502
    code = "provider_error"


class Throttled(OutsideServiceFailed):
    """The service said when to come back (a rate limit's wait, a bucket's refill): a failed
    attempt like any other, retried no sooner than `seconds` from now."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class AccessRevoked(PaylinkError):
    """The service refuses Paylink's credentials for good (keys revoked, app removed, token
    invalid): retrying cannot help; a store is disconnected until the merchant connects it
    again."""

    http_status = 502
    code = "access_revoked"


class StoreRefused(PaylinkError):
    """The store answers but will not do this one thing (a permission the merchant did not
    grant Paylink): retrying cannot help, and the store stays connected for everything else."""

    http_status = 502
    code = "store_refused"


class UnusablePayload(PaylinkError):
    """A genuine (signed or fetched) payload Paylink cannot use: kept and shown to the
    merchant, never retried. Parsers raise `MALFORMED_PAYLOAD` errors; the code reading a
    delivery turns them into this."""

    http_status = 422
    code = "unusable_payload"
