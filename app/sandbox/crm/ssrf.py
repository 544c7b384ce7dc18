"""SSRF protection for webhook targets (docs/api/seedly-crm.md §7: "Webhook URLs pointing
to private or reserved IP ranges are blocked").

Pure functions, so the rules can be unit-tested without a server:

* ``address_refusal(ip)`` says why an address is not a public unicast one;
* ``parse_url`` checks the URL's shape and decodes literal hosts, including the
  spellings a resolver would also accept (``2130706433``, ``0x7f000001``,
  ``0177.0.0.1``, ``127.1``, ``[::ffff:127.0.0.1]``);
* ``check_url`` adds name resolution (through an injectable async resolver).

The one exception is ``--allow-loopback-webhooks``: the address 127.0.0.1,
written exactly so, may then be used (plain http allowed) for local testing.
Nothing else private ever is, and no other spelling of loopback.

The same rules run again on every delivery, on the very address the connection
is made to (see ``webhooks.GuardedBackend``), so a name that later resolves
somewhere private (DNS rebinding) is refused at that moment.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

LOOPBACK_ALLOWED = "127.0.0.1"
MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_S = 2.0

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order; the first match names the reason. Anything not listed that
# the ipaddress module still considers non-global is refused as "reserved".
_BLOCKED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified ('this network') address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT (shared address space) address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address (cloud metadata endpoints live here)"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.0.0.0/24"), "a reserved address (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "a reserved address (documentation range)"),
    (_V4("192.88.99.0/24"), "a reserved address (6to4 relay anycast)"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("198.18.0.0/15"), "a reserved address (benchmarking range)"),
    (_V4("198.51.100.0/24"), "a reserved address (documentation range)"),
    (_V4("203.0.113.0/24"), "a reserved address (documentation range)"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "a broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("::/96"), "a reserved address (IPv4-compatible IPv6)"),
    (_V6("64:ff9b:1::/48"), "a reserved address (local-use NAT64)"),
    (_V6("100::/64"), "a reserved address (discard-only)"),
    (_V6("2001::/32"), "a reserved address (Teredo tunnel)"),
    (_V6("2001:db8::/32"), "a reserved address (documentation range)"),
    (_V6("fc00::/7"), "a private address (IPv6 unique local)"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a private address (IPv6 site-local)"),
    (_V6("ff00::/8"), "a multicast address"),
)
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class UnsafeTarget(ValueError):
    """A webhook target refused by the rules; the message says why (for VALIDATION_ERROR)."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped IPv6"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64 IPv6"
    if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
        return ip.sixtofour, "6to4 IPv6"
    return None


def address_refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` may not receive webhooks ("a loopback address", ...); None for public unicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        embedded = _embedded_v4(ip)
        if embedded is not None:
            v4, kind = embedded
            inner = address_refusal(v4)
            return None if inner is None else f"the {kind} form of {v4}, {inner}"
    for network, reason in _BLOCKED:
        if ip.version == network.version and ip in network:
            return reason
    if not ip.is_global or ip.is_multicast:
        return "a reserved address (not globally routable)"
    return None


def parse_ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """Decode a host the way ``inet_aton`` (and so most resolvers) would read it.

    Accepts 1 to 4 dot-separated parts in decimal, octal (leading 0) or hex (0x);
    the last part fills the remaining bytes (``127.1`` is 127.0.0.1). None when
    ``host`` is not numeric at all or does not fit.
    """
    parts = host.lower().split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    values: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not all(c in "01234567" for c in part):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


@dataclass(frozen=True)
class Target:
    """A webhook URL that passed the shape checks."""

    url: str
    scheme: str
    host: str  # lower-case, brackets removed, trailing dot removed
    port: int
    literal: IPAddress | None  # set when the host is an IP address, however spelled
    canonical: bool  # the host is written in the address's standard form


def _refuse(message: str) -> UnsafeTarget:
    return UnsafeTarget(
        f"{message}. Webhook URLs pointing to private or reserved IP ranges are blocked "
        "(SSRF protection)."
    )


def parse_url(url: str) -> Target:
    """Check a webhook URL's shape and decode its host; ``UnsafeTarget`` when malformed."""
    text = url.strip()
    if not text:
        raise UnsafeTarget("url is required")
    if len(text) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"url is too long (at most {MAX_URL_LENGTH} characters)")
    if any(ord(c) < 33 or c == "\\" for c in text):
        raise UnsafeTarget("url must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"url is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("url must be an https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        # Credentials in the authority are the classic way to make two URL parsers
        # disagree about the host; authenticate with the signature instead.
        raise UnsafeTarget("url must not contain credentials (user:password@)")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise UnsafeTarget("url must include a host name")
    host = raw_host.lower().rstrip(".")
    if port is None:
        port = 443 if scheme == "https" else 80
    if port == 0:
        raise UnsafeTarget("url port must be between 1 and 65535")
    literal: IPAddress | None = None
    canonical = True
    if ":" in host:  # urlsplit only yields a colon for a bracketed IPv6 literal
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeTarget(f"url host [{raw_host}] is not a valid IPv6 address") from None
    else:
        literal = parse_ipv4_literal(host)
        if literal is not None:
            canonical = str(literal) == raw_host
        elif host.replace(".", "").isdigit():
            raise UnsafeTarget(f"url host {raw_host} is not a valid IP address")
        else:
            try:
                ascii_host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise UnsafeTarget(f"url host {raw_host} is not a valid host name") from None
            if len(ascii_host) > 253 or not all(_LABEL.match(p) for p in ascii_host.split(".")):
                raise UnsafeTarget(f"url host {raw_host} is not a valid host name")
            host = ascii_host
    return Target(text, scheme, host, port, literal, canonical)


def _loopback_exception(target: Target, ip: IPAddress, allow_loopback: bool) -> bool:
    return (
        allow_loopback
        and target.canonical
        and target.host == LOOPBACK_ALLOWED
        and str(ip) == LOOPBACK_ALLOWED
    )


def connect_refusal(host: str, ip: IPAddress, allow_loopback: bool) -> str | None:
    """At delivery: why connecting to ``ip`` (resolved from ``host``) is refused, or None."""
    if allow_loopback and host == LOOPBACK_ALLOWED and str(ip) == LOOPBACK_ALLOWED:
        return None
    reason = address_refusal(ip)
    if reason is None:
        return None
    shown = host if host == str(ip) else f"{host} ({ip})"
    return f"{shown} is {reason}"


def static_refusal(target: Target, allow_loopback: bool) -> str | None:
    """The checks that need no DNS: scheme, loopback names and literal addresses."""
    if target.literal is not None:
        ip = target.literal
        if _loopback_exception(target, ip, allow_loopback):
            return None
        reason = address_refusal(ip)
        if reason is not None:
            spelled = "" if target.canonical else f" (an unusual spelling of {ip})"
            hint = ""
            if allow_loopback and reason == "a loopback address":
                hint = (
                    f"; only http(s)://{LOOPBACK_ALLOWED} is allowed with --allow-loopback-webhooks"
                )
            return f"url host {target.host}{spelled} is {reason}{hint}"
        if not target.canonical:
            return f"url host {target.host} is an unusual spelling of {ip}; write {ip} instead"
    elif (
        target.host == "localhost"
        or target.host.endswith(".localhost")
        or target.host == "localhost.localdomain"
    ):
        hint = (
            f"; use http://{LOOPBACK_ALLOWED}:PORT with --allow-loopback-webhooks"
            if allow_loopback
            else ""
        )
        return f"url host {target.host} is a loopback name{hint}"
    if target.scheme != "https":
        return (
            "url must use https:// (plain http is only allowed for "
            f"{LOOPBACK_ALLOWED} with --allow-loopback-webhooks)"
        )
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, through the event loop's resolver."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(
    url: str,
    *,
    allow_loopback: bool,
    resolver: Resolver = system_resolver,
    timeout: float = RESOLVE_TIMEOUT_S,
) -> Target:
    """Validate a webhook URL for a subscription; ``UnsafeTarget`` names the reason.

    A host name is resolved (with ``timeout``) and refused when any of its
    addresses is not public: a name with one private address among public ones
    could be steered to it. A name that does not resolve (or not in time) is
    accepted: it may be registered later, and each delivery applies the same
    rules to the address it connects to, so nothing private is reached.
    """
    target = parse_url(url)
    problem = static_refusal(target, allow_loopback)
    if problem is not None:
        raise _refuse(problem)
    if target.literal is not None:
        return target
    try:
        addresses = await asyncio.wait_for(resolver(target.host, target.port), timeout)
    except (OSError, TimeoutError, UnicodeError):
        return target
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        reason = address_refusal(ip)
        if reason is not None:
            raise _refuse(f"url host {target.host} resolves to {ip}, {reason}")
    return target
