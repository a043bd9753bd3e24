"""The one place outbound HTTP sessions are built: a user agent, a default timeout, and retries
of connection failures only (a provider call that reached the provider is retried by the caller
with the same idempotency key, never blindly here)."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests_hardened import HTTPSession
from requests_hardened.config import Config
from urllib3.util.retry import Retry

from core.errors import OutsideServiceFailed

USER_AGENT = "Paylink/0.1 (+https://github.com/paylink)"


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
