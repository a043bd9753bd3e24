"""Store addresses a merchant types (WooCommerce, PrestaShop, Magento live on the merchant's
own server): checked before Paylink sends anything there, so the form cannot be used to make
Paylink call into its own network (SSRF). The name is resolved and every address must be a
public one, unless the operator allows private stores (a shop on the same LAN, tests).

An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo) is judged by the IPv4
address it reaches. This check is the merchant's answer on the form; the calls themselves go
through `core.http.store_session`, which connects to the address it checked and never follows
a redirect, so a name that resolves elsewhere later (DNS rebinding) is refused there too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from core.errors import ValidationError


def checked_store_url(raw: str, allow_private: bool = False) -> str:
    """The store's base URL, normalised (`scheme://host[:port][/path]`, no trailing slash), or a
    ValidationError saying what is wrong with it."""
    text = raw.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http"):
        raise ValidationError(f"{raw!r}: a store address starts with https://", key="store_scheme")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(f"{raw!r}: no user name or password in the address", key="store_url")
    if parts.query or parts.fragment or not parts.hostname:
        raise ValidationError(f"{raw!r} is not a store address", key="store_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(f"{raw!r} has an invalid port", key="store_url") from None
    if not allow_private:
        _refuse_private(parts.hostname, port)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def _refuse_private(host: str, port: int) -> None:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValidationError(f"{host} cannot be found", key="store_unknown", host=host) from None
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        if not is_public_address(ip):
            raise ValidationError(
                f"{host} is a private, loopback or link-local address ({ip})",
                key="store_private",
                host=host,
            )


#: IPv6 prefixes that translate to an IPv4 address in their last 32 bits (RFC 6052 NAT64).
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address reaches the public internet only, including through the IPv4
    address an IPv6 one embeds."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if any(ip in prefix for prefix in NAT64_PREFIXES):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return all(is_public_address(v4) for v4 in embedded if v4 is not None)
    return True
