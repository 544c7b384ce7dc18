"""SSRF rules for webhook targets: address classification, literal tricks, resolution."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from app.sandbox.crm import ssrf


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd12:3456::1", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "NAT64"),
        ("2002:7f00:1::", "6to4"),
        ("::7f00:1", "reserved"),
        ("2001::1", "Teredo"),
    ],
)
def test_non_public_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    refusal = ssrf.address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and reason in refusal, refusal


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert ssrf.address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_ipv4_literals_decode_like_inet_aton(host: str, expected: str) -> None:
    assert ssrf.parse_ipv4_literal(host) == ipaddress.IPv4Address(expected)


@pytest.mark.parametrize(
    "host",
    ["example.com", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "4294967296", "1.2.3.256", "", "0xg1"],
)
def test_non_literals_are_not_decoded(host: str) -> None:
    assert ssrf.parse_ipv4_literal(host) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "https"),
        ("https://user:pw@example.com/x", "credentials"),
        ("https://evil.com@127.0.0.1/x", "credentials"),
        ("https:///x", "host"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com:99999/", "port"),
        ("https://a..b/", "not a valid host name"),
        ("https://bad_host!.com/", "not a valid host name"),
        ("https://999.1.1.1/", "not a valid IP address"),
        ("https://[zz::1]/", "IPv6"),
        ("", "required"),
    ],
)
def test_malformed_urls(url: str, reason: str) -> None:
    with pytest.raises(ssrf.UnsafeTarget) as info:
        ssrf.parse_url(url)
    assert reason.lower() in str(info.value).lower()


def test_parse_normalises_the_host() -> None:
    target = ssrf.parse_url("https://Hooks.Example.COM./in")
    assert (target.host, target.port, target.literal) == ("hooks.example.com", 443, None)
    assert ssrf.parse_url("https://bücher.example/").host == "xn--bcher-kva.example"
    literal = ssrf.parse_url("http://[::ffff:127.0.0.1]:8080/")
    assert literal.literal == ipaddress.ip_address("::ffff:127.0.0.1") and literal.port == 8080
    assert ssrf.parse_url("http://0x7f000001/").canonical is False
    assert ssrf.parse_url("http://127.0.0.1/").canonical is True


def refusal(url: str, allow_loopback: bool = False) -> str | None:
    return ssrf.static_refusal(ssrf.parse_url(url), allow_loopback)


def test_loopback_exception_is_exactly_127_0_0_1() -> None:
    assert refusal("http://127.0.0.1:8080/hook", allow_loopback=True) is None
    assert refusal("https://127.0.0.1/hook", allow_loopback=True) is None
    assert "loopback" in (refusal("http://127.0.0.1:8080/hook") or "")
    for url in (
        "http://127.0.0.2/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8080/",
        "http://api.localhost/",
    ):
        assert "loopback" in (refusal(url, allow_loopback=True) or ""), url
    for url in ("http://10.0.0.1/", "http://192.168.1.1/", "http://169.254.169.254/"):
        assert refusal(url, allow_loopback=True) is not None, url


def test_https_is_required_for_public_hosts() -> None:
    assert "https" in (refusal("http://example.com/hook") or "")
    assert "https" in (refusal("http://8.8.8.8/hook", allow_loopback=True) or "")
    assert refusal("https://example.com/hook") is None
    assert refusal("https://8.8.8.8/hook") is None
    assert "8.8.8.8" in (refusal("https://0x08080808/") or "")  # odd spellings are refused


def resolver_of(mapping: dict[str, list[str]]) -> ssrf.Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return mapping[host]

    return resolve


def check(
    url: str, resolver: ssrf.Resolver, allow_loopback: bool = False, timeout: float = 1.0
) -> ssrf.Target:
    return asyncio.run(
        ssrf.check_url(url, allow_loopback=allow_loopback, resolver=resolver, timeout=timeout)
    )


def test_resolved_names_are_checked() -> None:
    resolver = resolver_of(
        {
            "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
            "intranet.example.com": ["10.1.2.3"],
            "mixed.example.com": ["93.184.215.14", "192.168.0.7"],
            "metadata.example.com": ["169.254.169.254"],
            "v6loop.example.com": ["::1"],
            "home.example.com": ["127.0.0.1"],
        }
    )
    assert check("https://hooks.example.com/in", resolver).host == "hooks.example.com"
    for host, reason in (
        ("intranet", "private"),
        ("mixed", "private"),
        ("metadata", "link-local"),
        ("v6loop", "loopback"),
        ("home", "loopback"),
    ):
        with pytest.raises(ssrf.UnsafeTarget) as info:
            check(f"https://{host}.example.com/in", resolver, allow_loopback=True)
        assert reason in str(info.value) and f"{host}.example.com" in str(info.value)


def test_unresolvable_or_slow_names_are_accepted() -> None:
    assert (
        check("https://not-registered.example/in", resolver_of({})).host == "not-registered.example"
    )

    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(5)
        return ["10.0.0.1"]

    assert check("https://slow.example/in", slow, timeout=0.05).host == "slow.example"


def test_literals_and_loopback_names_never_reach_the_resolver() -> None:
    async def forbidden(host: str, port: int) -> list[str]:
        raise AssertionError(f"resolved {host}")

    for url in ("https://localhost/", "https://10.0.0.1/", "https://[::1]/"):
        with pytest.raises(ssrf.UnsafeTarget):
            check(url, forbidden)
    assert check("http://127.0.0.1:9000/", forbidden, allow_loopback=True).port == 9000


def test_connect_refusal_at_delivery_time() -> None:
    loop4 = ipaddress.ip_address("127.0.0.1")
    assert ssrf.connect_refusal("127.0.0.1", loop4, allow_loopback=True) is None
    # A public-looking name that now resolves to loopback (DNS rebinding) is refused, flag or not.
    assert "loopback" in (
        ssrf.connect_refusal("hooks.example.com", loop4, allow_loopback=True) or ""
    )
    assert "loopback" in (ssrf.connect_refusal("127.0.0.1", loop4, allow_loopback=False) or "")
    assert "private" in (
        ssrf.connect_refusal("x.example", ipaddress.ip_address("10.9.8.7"), True) or ""
    )
    assert ssrf.connect_refusal("x.example", ipaddress.ip_address("93.184.215.14"), False) is None
