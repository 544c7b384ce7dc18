"""Which URLs a webhook subscription may point to, checked before anything is sent.

docs/api/seedly-crm.md §7: "URLs in private or reserved IP ranges are refused (SSRF
protection)". The server has the last word (its answer is shown too); this rule
lets the form say why at once, in plain words, including for the spellings of an
address that resolvers accept but people do not recognise: ``127.1``,
``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``.

Pure functions, no DNS: ``webhook_url_problem`` checks the URL's shape and any
literal address; ``address_problem`` says what is wrong with one address (the
services apply it to what a host name resolves to).

The one exception is the demo: the demo's sandbox accepts ``127.0.0.1`` written
exactly so (and plain ``http``) for the app's built-in receiver. Nothing else
private is ever allowed, and no other spelling of this computer.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEMO_LOOPBACK = "127.0.0.1"
"""The only loopback host a demo subscription may name (the sandbox's own rule)."""
MAX_URL_LENGTH = 2048
REFUSAL = (
    "Seedly refuses webhook URLs that point to private or reserved addresses; "
    "use a public https:// address."
)

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("169.254.170.2"),  # AWS container credentials
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    }
)
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# First match names the kind; whatever ``ipaddress`` still finds not global is "reserved".
_RANGES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("127.0.0.0/8"), "this computer (a loopback address)"),
    (_V6("::1/128"), "this computer (a loopback address)"),
    (_V4("0.0.0.0/8"), "an unspecified address (it means this computer)"),
    (_V6("::/128"), "an unspecified address (it means this computer)"),
    (_V4("10.0.0.0/8"), "a private network address"),
    (_V4("172.16.0.0/12"), "a private network address"),
    (_V4("192.168.0.0/16"), "a private network address"),
    (_V6("fc00::/7"), "a private network address (IPv6 unique local)"),
    (_V6("fec0::/10"), "a private network address (IPv6 site-local)"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address (shared, not public)"),
    (_V4("169.254.0.0/16"), "a link-local address (only valid on one network segment)"),
    (_V6("fe80::/10"), "a link-local address (only valid on one network segment)"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("192.0.2.0/24"), "a reserved address (for documentation)"),
    (_V4("198.51.100.0/24"), "a reserved address (for documentation)"),
    (_V4("203.0.113.0/24"), "a reserved address (for documentation)"),
    (_V6("2001:db8::/32"), "a reserved address (for documentation)"),
    (_V4("198.18.0.0/15"), "a reserved address (for benchmarking)"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V4("192.0.0.0/24"), "a reserved address"),
    (_V6("::/96"), "a reserved address (IPv4-compatible IPv6)"),
    (_V6("100::/64"), "a reserved address (discard-only)"),
)
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")

_NUMBER_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def _is_metadata(ip: IPAddress) -> bool:
    return ip in _METADATA_ADDRESSES


def address_problem(ip: IPAddress) -> str | None:
    """What ``ip`` is when it is not a public address ("this computer (a loopback
    address)", "a private network address", …); None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner, how = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            return None if problem is None else f"{inner} written as {how}, {problem}"
    if _is_metadata(ip):
        return "a cloud metadata address (it hands out the server's own credentials)"
    for network, kind in _RANGES:
        if ip.version == network.version and ip in network:
            return kind
    if not ip.is_global:
        return "a reserved address (not reachable on the internet)"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), and how it is written."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "an IPv4-mapped IPv6 address"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "a NAT64 IPv6 address"
    if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
        return ip.sixtofour, "a 6to4 IPv6 address"
    return None, ""


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as the C library's ``inet_aton`` reads it, or None when it is not numeric.

    One to four dot-separated numbers in decimal, octal (a leading 0) or hex (0x); the
    last number fills the remaining bytes, so ``127.1`` is 127.0.0.1 and ``2130706433``
    is too. A browser or an HTTP client hands such a host to the resolver as it is.
    """
    parts = host.lower().split(".")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # a trailing dot
    if not 1 <= len(parts) <= 4 or not all(_NUMBER_PART.match(p) for p in parts):
        return None
    values: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if any(c not in "01234567" for c in part):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256 ** (4 - len(head)) + last)


def _shown(host: str, ip: IPAddress) -> str:
    if host == str(ip) or isinstance(ip, ipaddress.IPv6Address):
        return f"{host} is"
    return f"“{host}” is another way of writing {ip}, which is"


def _loopback_name(host: str) -> bool:
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def webhook_url_problem(url: str, *, allow_loopback: bool = False) -> str | None:
    """Why ``url`` cannot be a webhook subscription's URL, in a sentence; None when it can.

    ``allow_loopback`` is the demo's exception: ``http(s)://127.0.0.1:PORT/...`` (that
    spelling only) for the built-in receiver.
    """
    text = url.strip()
    if not text:
        return "Enter the address that should receive the events (https://…)."
    if len(text) > MAX_URL_LENGTH:
        return f"The URL is too long (at most {MAX_URL_LENGTH:,} characters)."
    if any(ord(c) < 33 or c == "\\" for c in text):
        return "The URL contains spaces, line breaks or backslashes. Copy it again in one piece."
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        if "[" in text:
            return "The address between [ ] is not a valid IPv6 address."
        return "The URL is not valid (check the host and the port after the colon)."
    scheme = parts.scheme.lower()
    if not scheme or "//" not in text:
        return "Start the URL with https://."
    if scheme not in ("http", "https"):
        return f"Webhook URLs start with https://, not {scheme}:."
    if parts.username is not None or "@" in parts.netloc:
        return (
            "The URL contains a user name or password (the part before @). Remove it: "
            "your receiver checks the signature instead."
        )
    raw_host = parts.hostname or ""
    if not raw_host:
        return "The URL has no host name."
    if port == 0:
        return "The port after the colon must be between 1 and 65535."
    host = raw_host.lower().rstrip(".")
    literal: IPAddress | None
    if ":" in host:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            return f"[{raw_host}] is not a valid IPv6 address."
    else:
        literal = numeric_ipv4(host)
        if literal is None and host.replace(".", "").isdigit():
            return f"{raw_host} is not a valid IP address."
    if literal is not None:
        if allow_loopback and raw_host == DEMO_LOOPBACK:
            return None
        problem = address_problem(literal)
        if problem is not None:
            hint = ""
            if allow_loopback and literal.is_loopback:
                hint = f" In the demo, write this computer as {DEMO_LOOPBACK}."
            return f"{_shown(raw_host, literal)} {problem}. {REFUSAL}{hint}"
        if raw_host != str(literal):
            return f"“{raw_host}” is an unusual way of writing {literal}; write {literal} instead."
    else:
        if _loopback_name(host):
            hint = f" In the demo, use http://{DEMO_LOOPBACK}:PORT." if allow_loopback else ""
            return f"{raw_host} is this computer. {REFUSAL}{hint}"
        if host in _METADATA_NAMES:
            return f"{raw_host} is a cloud metadata service. {REFUSAL}"
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return f"{raw_host} is not a valid host name."
        if len(ascii_host) > 253 or not all(_LABEL.match(p) for p in ascii_host.split(".")):
            return f"{raw_host} is not a valid host name."
        if "." not in ascii_host:
            return (
                f"{raw_host} is a name on your own network, not a public address. "
                "Use the receiver's full public address (https://hooks.example.com/…)."
            )
    if scheme != "https":
        return "Use https:// so the events travel encrypted (plain http:// is refused)."
    return None


__all__ = [
    "DEMO_LOOPBACK",
    "MAX_URL_LENGTH",
    "REFUSAL",
    "address_problem",
    "numeric_ipv4",
    "webhook_url_problem",
]
