"""The one place outbound HTTP sessions are built: a user agent, a default timeout, and retries
of connection failures only (a provider call that reached the provider is retried by the caller
with the same idempotency key, never blindly here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests_hardened import HTTPSession
from requests_hardened.config import Config
from urllib3.util.retry import Retry

from core.errors import AccessRevoked, OutsideServiceFailed, StoreRefused, Throttled

T = TypeVar("T")

USER_AGENT = "Paylink/0.1 (+https://github.com/paylink)"
#: How long to wait before calling a store again that said "later" without saying when.
DEFAULT_RETRY_SECONDS = 30.0


class TimeoutSession(requests.Session):
    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self.timeout_seconds = timeout_seconds
        self.headers["User-Agent"] = USER_AGENT
        retry = Retry(
            total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2, allowed_methods=None
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout_seconds)
        return super().request(method, url, *args, **kwargs)


def http_session(timeout_seconds: float = 10.0) -> requests.Session:
    return TimeoutSession(timeout_seconds)


def store_session(timeout_seconds: float, allow_private: bool) -> requests.Session:
    """A session for addresses a merchant typed (their store): it connects to the address it
    resolved and checked (requests-hardened pins it, closing the DNS-rebinding window), refuses
    private, loopback, link-local, NAT64 and 6to4 ones unless the operator allows private
    stores, and never follows a redirect (a store answering 302 to an internal address)."""
    return HTTPSession(
        Config(
            ip_filter_enable=not allow_private,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(5.0, timeout_seconds),
            user_agent_override=USER_AGENT,
        )
    )


def response_excerpt(text: str, limit: int = 160) -> str:
    """A short, printable excerpt of what an outside server answered, for errors a merchant
    reads: never its whole body (which could be an internal page fetched through it)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 2])
    excerpt = " ".join(printable.split())
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 1] + "…"


def send_json(
    session: requests.Session, provider: str, method: str, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    """One call to a provider's JSON API: (status, parsed body, {} when empty or not JSON).
    An unreachable provider is an OutsideServiceFailed naming it; the status is the caller's."""
    try:
        response = session.request(method, url, **kwargs)
    except requests.RequestException as error:
        raise OutsideServiceFailed(f"{provider} could not be reached: {error}") from None
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}


def call_store(send: Callable[[], requests.Response], refused: str) -> requests.Response:
    """One call to a merchant's store, whatever its platform: unreachable, redirected (Paylink
    follows none), busy (429 and 5xx: `Throttled`, with its Retry-After) and our credentials
    refused (401, 403: `AccessRevoked` saying `refused`) are raised here; any other answer is
    the platform client's to read."""
    try:
        response = send()
    except requests.RequestException as error:
        raise OutsideServiceFailed(
            f"the store could not be reached: {response_excerpt(str(error))}"
        ) from None
    status = response.status_code
    if response.is_redirect:
        raise OutsideServiceFailed(
            f"the store answered {status} (a redirect), which Paylink does not follow: connect "
            "the store with its final address"
        )
    if status == 429 or status >= 500:
        raise Throttled(f"the store answered {status}", retry_after(response.headers))
    if status in (401, 403):
        raise AccessRevoked(f"{refused} ({status})")
    return response


def unless_not_granted(attempt: Callable[[], T], probe: Callable[[], object], missing: str) -> T:
    """A store call whose 401/403 may mean two things: credentials revoked, or one permission
    the merchant did not grant (platforms answer both alike). `probe` makes a call the
    credentials surely may: when it passes, only the permission is missing (`StoreRefused`
    saying `missing`, the store stays connected); when not, its AccessRevoked goes up."""
    try:
        return attempt()
    except AccessRevoked:
        probe()
        raise StoreRefused(missing) from None


def store_json(response: requests.Response) -> Any:
    """A store's JSON answer (None when empty); a body that is not JSON says so."""
    try:
        return response.json() if response.content else None
    except ValueError:
        raise OutsideServiceFailed(
            f"the store answered {response.status_code} without JSON"
        ) from None


def retry_after(headers: Any) -> float:
    """The wait a `Retry-After` header asks for (seconds), or the default."""
    header = headers.get("Retry-After")
    try:
        return max(1.0, float(header)) if header else DEFAULT_RETRY_SECONDS
    except ValueError:
        return DEFAULT_RETRY_SECONDS
