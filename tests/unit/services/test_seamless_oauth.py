"""Rules of "Sign in with Seamless.AI": the authorize address, checking the browser's answer
(state, errors), pasted codes and addresses, the one-shot listener, and the tokens' form
in the keyring. The whole flow against a sandbox is tests/contract/test_seamless_sign_in.py."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from app.api.seamless import OAuthTokens
from app.services.seamless_oauth import (
    LoopbackListener,
    OAuthClientConfig,
    SignInRefused,
    StateMismatch,
    authorize_url,
    callback_of,
    check_callback,
    code_from_paste,
    is_loopback,
    tokens_from_secret,
    tokens_to_secret,
)

CONFIG = OAuthClientConfig("app-1", "s3cret", "https://login.example/authorize?tenant=x")


def test_the_authorize_address_carries_the_state_and_the_redirect() -> None:
    url = authorize_url(CONFIG, "http://127.0.0.1:5000/callback", "st-1")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.netloc == "login.example" and query["tenant"] == ["x"]
    assert query["response_type"] == ["code"] and query["client_id"] == ["app-1"]
    assert query["redirect_uri"] == ["http://127.0.0.1:5000/callback"]
    assert query["state"] == ["st-1"]
    assert "s3cret" not in url and "s3cret" not in repr(CONFIG)


def test_answers_are_checked_against_the_state() -> None:
    assert check_callback(callback_of("code=c1&state=st-1"), "st-1") == "c1"
    with pytest.raises(StateMismatch):
        check_callback(callback_of("code=c1&state=other"), "st-1")
    with pytest.raises(StateMismatch):
        check_callback(callback_of("code=c1"), "st-1")
    with pytest.raises(SignInRefused, match="access_denied"):
        check_callback(callback_of("error=access_denied&state=st-1"), "st-1")
    with pytest.raises(SignInRefused):
        check_callback(callback_of("state=st-1"), "st-1")


def test_pasted_codes_and_addresses() -> None:
    assert code_from_paste("  'c-123'  ", "st") == "c-123"
    assert code_from_paste("https://app.example/cb?code=c9&state=st", "st") == "c9"
    assert code_from_paste("?code=c8&state=st", "st") == "c8"
    with pytest.raises(StateMismatch):
        code_from_paste("https://app.example/cb?code=c9&state=forged", "st")
    with pytest.raises(SignInRefused):
        code_from_paste("   ", "st")
    with pytest.raises(SignInRefused):
        code_from_paste("two words", "st")


def test_loopback_addresses() -> None:
    assert is_loopback("http://127.0.0.1/callback") and is_loopback("http://localhost:8/x")
    assert not is_loopback("https://127.0.0.1/callback")  # RFC 8252: plain http on loopback
    assert not is_loopback("http://example.com/callback")


def test_tokens_round_trip_through_their_keyring_form() -> None:
    tokens = OAuthTokens("at", "rt", 1_900_000_000.0)
    assert tokens_from_secret(tokens_to_secret(tokens)) == tokens
    assert tokens_from_secret(tokens_to_secret(OAuthTokens("at"))) == OAuthTokens("at")
    for broken in (None, "", "not json", "{}", '{"access_token": 5}'):
        assert tokens_from_secret(broken) is None


@pytest.mark.asyncio
async def test_the_listener_ignores_other_paths_and_answers_once() -> None:
    listener = LoopbackListener("/callback", "st-1")
    port = await listener.start()

    async def get(path: str) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer

    assert (await get("/favicon.ico")).startswith(b"HTTP/1.1 404")
    assert listener.listening
    page = await get("/callback?code=c1&state=st-1")
    assert page.startswith(b"HTTP/1.1 200") and b"close this window" in page
    callback = await listener.wait(5)
    assert (callback.code, callback.state) == ("c1", "st-1")
    assert not listener.listening
    with pytest.raises(OSError):
        await get("/callback?code=c2&state=st-1")
