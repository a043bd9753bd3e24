"""Shopify's signatures and identities, pure: the install/callback query HMAC, the shop domain,
webhook HMACs on raw bodies, and App Bridge session tokens (HS256 JWTs).

The query HMAC follows Shopify's official Node library (lib/utils/hmac-validator.ts): drop
`hmac` and `signature`, sort the keys, percent-encode as URLSearchParams does with spaces as
%20, then lower-case hex HMAC-SHA256 with the app secret, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

import jwt

from core.errors import Unauthorized, ValidationError

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
#: The Node library refuses install/callback timestamps further than this from now.
QUERY_TIMESTAMP_TOLERANCE = 90
SESSION_TOKEN_LEEWAY = 10


def valid_shop(shop: str) -> str:
    """Only `<handle>.myshopify.com`: anything else (another host, a path, credentials) is
    refused before any request is made to it."""
    candidate = (shop or "").strip().lower()
    if not SHOP_DOMAIN.fullmatch(candidate):
        raise ValidationError(f"{shop!r} is not a shop domain (<name>.myshopify.com)")
    return candidate


def _encode(value: str) -> str:
    """URLSearchParams' form encoding (only letters, digits and `*-._` stay as they are), with
    %20 for a space as Shopify signs it."""
    return quote(value, safe="*").replace("~", "%7E")


def query_message(query: Mapping[str, str | Sequence[str]]) -> str:
    pairs = []
    for key in sorted(k for k in query if k not in ("hmac", "signature")):
        value = query[key]
        if isinstance(value, str):
            pairs.append(f"{_encode(key)}={_encode(value)}")
        else:
            pairs.extend(f"{_encode(key + '[]')}={_encode(v)}" for v in value)
    return "&".join(pairs)


def verify_query(
    query: Mapping[str, str | Sequence[str]], secret: str, now: datetime | None = None
) -> None:
    """Refuse an install or callback query whose HMAC (or, when `now` is given, timestamp)
    does not hold."""
    presented = query.get("hmac")
    if not isinstance(presented, str) or not presented:
        raise Unauthorized("the Shopify query carries no hmac")
    expected = hmac.new(secret.encode(), query_message(query).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, presented.lower()):
        raise Unauthorized("the Shopify query hmac does not match")
    if now is not None:
        stamp = query.get("timestamp")
        if not isinstance(stamp, str) or not stamp.isdigit():
            raise Unauthorized("the Shopify query carries no timestamp")
        if abs(now.timestamp() - int(stamp)) > QUERY_TIMESTAMP_TOLERANCE:
            raise Unauthorized("the Shopify query is too old")


def verify_webhook(raw_body: bytes, presented: str | None, secrets: Sequence[str]) -> None:
    """`X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body; several secrets are tried
    (Shopify takes up to an hour to switch after a rotation)."""
    if not presented:
        raise Unauthorized("missing X-Shopify-Hmac-Sha256")
    for secret in secrets:
        digest = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
        if hmac.compare_digest(digest.decode(), presented.strip()):
            return
    raise Unauthorized("the webhook hmac does not match")


@dataclass(frozen=True, slots=True)
class SessionToken:
    shop: str
    user_id: str
    session_id: str | None


def decode_session_token(token: str, client_id: str, secret: str) -> SessionToken:
    """An App Bridge session token: HS256 with the app secret, audience the client id, not
    expired (10 s leeway), and `iss` (the shop's admin) on the same shop as `dest`."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=client_id,
            leeway=SESSION_TOKEN_LEEWAY,
            options={"require": ["exp", "nbf", "iss", "dest", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized(f"the Shopify session token is not valid: {error}") from None
    dest_host = urlsplit(str(claims["dest"])).hostname or ""
    iss_host = urlsplit(str(claims["iss"])).hostname or ""
    try:
        shop = valid_shop(dest_host)
    except ValidationError:
        raise Unauthorized("the session token names no shop") from None
    if iss_host != shop:
        raise Unauthorized("the session token's issuer and destination differ")
    return SessionToken(shop, str(claims["sub"]), claims.get("sid"))


def decode_with_any_secret(token: str, client_id: str, secrets: tuple[str, ...]) -> SessionToken:
    """A session token signed with the newest secret, or with an older one still valid while
    Shopify switches over after a rotation."""
    error = Unauthorized("no Shopify client secret is configured")
    for secret in reversed(secrets):
        try:
            return decode_session_token(token, client_id, secret)
        except Unauthorized as refused:
            error = refused
    raise error
