"""Malformed requests to every route of the sandbox get the documented error, never a 500.

Every route of both APIs, the public endpoints and the control routes receives
broken bodies (integers too long for Python, integers past 64 bits, nesting
10,000 deep, lone surrogates in keys and values as JSON escapes and as raw
bytes, NaN and infinities, text that is not JSON, wrong content types, bodies
over the limit) and broken query values (overflowing, oversized and non-ASCII
integers, undecodable percent escapes). Each answer must be JSON in the error
envelope of its API (``{"error": {"code", "message"}}`` for Seedly and the
control routes, docs/api/seedly-crm.md §10; ``{"message"}`` for Seamless,
docs/api/seamless.md "Rate limits & errors"), and the same keep-alive
connection must answer a good request afterwards.

Requests go over a raw socket so that bytes reach the server exactly as written
(an HTTP client would refuse to encode a lone surrogate) and so that a closed
connection cannot hide behind a client's silent reconnect.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.sandbox.registry import Registry
from app.sandbox.server import register_areas
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox, start_sandbox

pytestmark = pytest.mark.timeout(300)

SEAMLESS_PREFIX = "/api/client/"
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Names the handlers read from bodies; every malformed value is put in all of them so that it
# reaches the code behind the JSON decoder (SQLite, the response encoder).
PROBE_FIELDS = (
    "firstName lastName email phone name tags customFields notes url events secret isActive "
    "contactId conversationId channel body bodyText bodyHtml subject status assignedTo "
    "calendarId appointmentTypeId startTime title eventType data message sessionId "
    "visitorName visitorEmail formId fields key subAccountId scopes expiresInMs agency ms "
    "rate kinds credits limit userId orgId seconds count nextToken"
).split()
# Integer names read from query strings (Seedly, control and Seamless routes).
INT_QUERY_NAMES = ("limit", "offset", "after", "page", "startDate", "endDate")
HUGE_BODY_BYTES = 1_500_000
# Valid required parameters, so that a malformed one is read after them (Seamless reads the
# record window before the page).
BASE_QUERY = {
    "/api/client/v1/contacts": "startDate=2020-01-01&endDate=2030-12-31&",
    "/api/client/v1/companies": "startDate=2020-01-01&endDate=2030-12-31&",
}


# -- a raw HTTP/1.1 connection ---------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawConnection:
    """One keep-alive HTTP/1.1 connection that sends bytes exactly as given."""

    def __init__(self, host: str, port: int) -> None:
        self.host = f"{host}:{port}"
        self.sock = socket.create_connection((host, port), timeout=20)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        *,
        chunked: bool = False,
    ) -> RawResponse:
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None and chunked:
            head.append("Transfer-Encoding: chunked")
            step = 64 * 1024
            payload = b"".join(
                f"{len(body[i : i + step]):x}\r\n".encode() + body[i : i + step] + b"\r\n"
                for i in range(0, len(body), step)
            )
            payload += b"0\r\n\r\n"
        elif body is not None:
            head.append(f"Content-Length: {len(body)}")
            payload = body
        else:
            payload = b""
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413) and close before reading everything
        return self._read_response()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def _read_response(self) -> RawResponse:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buffer:
                    self._fill()
                size_line, self.buffer = self.buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self._fill()
                body += self.buffer[:size]
                self.buffer = self.buffer[size + 2 :]
                if size == 0:
                    break
        else:
            length = int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                self._fill()
            body, self.buffer = self.buffer[:length], self.buffer[length:]
        return RawResponse(status, headers, body)


# -- the malformed forms -----------------------------------------------------------------------


def _object_with(value: bytes) -> bytes:
    """A JSON object with ``value`` (raw JSON text) in every probe field."""
    return b"{" + b",".join(b'"' + f.encode() + b'":' + value for f in PROBE_FIELDS) + b"}"


DEEP = 10_000
# (name, body bytes, content type, chunked)
BODY_FORMS: list[tuple[str, bytes, str, bool]] = [
    ("int_5000_digits", _object_with(b"9" * 5000), "application/json", False),
    ("negative_int_5000_digits", _object_with(b"-" + b"9" * 5000), "application/json", False),
    ("int_past_64_bits", _object_with(b"9" * 30), "application/json", False),
    ("negative_int_past_64_bits", _object_with(b"-" + b"9" * 30), "application/json", False),
    ("nan", _object_with(b"NaN"), "application/json", False),
    ("infinity", _object_with(b"Infinity"), "application/json", False),
    ("float_overflowing_to_infinity", _object_with(b"1e999"), "application/json", False),
    (
        "array_nested_10000_deep",
        b'{"data":' + b"[" * DEEP + b"]" * DEEP + b"}",
        "application/json",
        False,
    ),
    (
        "object_nested_10000_deep",
        b'{"data":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}",
        "application/json",
        False,
    ),
    ("lone_surrogate_value_escaped", _object_with(b'"\\ud800"'), "application/json", False),
    ("lone_surrogate_in_list_escaped", _object_with(b'["\\udfff"]'), "application/json", False),
    ("lone_surrogate_key_escaped", b'{"\\ud800":1,"name\\udc00":"x"}', "application/json", False),
    ("lone_surrogate_value_raw", _object_with(b'"a\xed\xa0\x80b"'), "application/json", False),
    ("lone_surrogate_key_raw", b'{"\xed\xa0\x80":1}', "application/json", False),
    ("invalid_utf8", _object_with(b'"\xff\xfe"'), "application/json", False),
    ("not_json", b"this is not json", "application/json", False),
    ("truncated_json", b'{"firstName": "Ann", "lastName": ', "application/json", False),
    ("json_array", b"[1, 2, 3]", "application/json", False),
    ("json_string", b'"text"', "application/json", False),
    ("json_null", b"null", "application/json", False),
    ("form_encoded", b"firstName=Ann&lastName=Lee", "application/x-www-form-urlencoded", False),
    (
        "multipart",
        b'--xx\r\nContent-Disposition: form-data; name="firstName"\r\n\r\nAnn\r\n--xx--\r\n',
        "multipart/form-data; boundary=xx",
        False,
    ),
    ("json_as_text_plain", b'{"firstName": "Ann"}', "text/plain", False),
    ("binary", bytes(range(256)) * 4, "application/octet-stream", False),
    ("too_large", b'{"notes": "' + b"x" * HUGE_BODY_BYTES + b'"}', "application/json", False),
    (
        "too_large_chunked",
        b'{"notes": "' + b"x" * HUGE_BODY_BYTES + b'"}',
        "application/json",
        True,
    ),
]

QUERY_VALUES: list[tuple[str, str]] = [
    ("past_64_bits", "99999999999999999999999"),
    ("negative_past_64_bits", "-99999999999999999999999"),
    ("5000_digits", "9" * 5000),
    ("superscript_digit", "%C2%B2"),
    ("arabic_indic_digits", "%D9%A1%D9%A2"),
    ("exponent", "1e3"),
    ("lone_surrogate_percent_encoded", "%ED%A0%80"),
    ("invalid_utf8_percent_encoded", "%FF%FE"),
    ("bad_percent_escape", "%ZZ"),
]


# -- the routes and what a good request looks like --------------------------------------------


@dataclass
class Target:
    method: str
    template: str
    path: str
    auth: str
    headers: dict[str, str]

    @property
    def seamless(self) -> bool:
        return self.template.startswith(SEAMLESS_PREFIX)


def route_table() -> list[tuple[str, str, str]]:
    """(method, path template, auth kind) of every route, from the server's own registry."""
    registry = Registry()
    register_areas(registry)
    return [(r.method, r.path, r.auth) for r in registry.router.routes]


def _sample(box: Sandbox, template: str) -> str:
    """A path with real ids (where some exist) so that requests reach past the lookup."""
    import httpx

    path = template
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        value = "missing"
        if template.startswith("/webhooks/"):
            rows = box.control("GET", "workflows")
            value = rows[0]["slug"] if rows else value
        else:
            collection = path[: start - 1]
            auth = {"Authorization": f"Bearer {box.sub_key(0)}"}
            r = httpx.get(box.url + collection, headers=auth, timeout=30)
            if r.status_code == 200:
                body = r.json()
                rows = body.get("data") if isinstance(body, dict) else None
                if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                    value = str(rows[0].get("id", value))
        path = path[:start] + value + path[end + 1 :]
    return path


def _headers(box: Sandbox, auth: str) -> dict[str, str]:
    if auth == "key":
        return {"Authorization": f"Bearer {box.sub_key(0)}"}
    if auth == "agency":
        return {"Authorization": f"Bearer {box.info['agency_key']}"}
    if auth == "seamless":
        return {"Token": box.seamless_key}
    return {}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A demo sandbox of this module's own: malformed DELETEs may remove demo records."""
    sandbox = start_sandbox(
        tmp_path_factory.mktemp("malformed"), "--seed", "demo", *GENEROUS_LIMITS
    )
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def targets(box: Sandbox) -> list[Target]:
    return [
        Target(method, template, _sample(box, template), auth, _headers(box, auth))
        for method, template, auth in route_table()
    ]


# -- checking an answer ------------------------------------------------------------------------


def envelope_problem(target: Target, response: RawResponse) -> str | None:
    """Why ``response`` is not an acceptable answer to a malformed request (None when it is)."""
    if response.status >= 500:
        return f"status {response.status}: {response.body[:300]!r}"
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"status {response.status} is not JSON: {response.headers.get('content-type')}"
    try:
        body = response.json()
    except ValueError:
        return f"status {response.status} body is not JSON: {response.body[:200]!r}"
    if response.status < 400:
        return None
    if target.seamless:
        text = body.get("message", body.get("msg")) if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return f"status {response.status} is not a Seamless error: {body!r:.300}"
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and error["message"]
    ):
        return f"status {response.status} is not the error envelope: {body!r:.300}"
    return None


def exchange(
    box: Sandbox,
    target: Target,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None = None,
    *,
    chunked: bool = False,
) -> str | None:
    """Send one malformed request, then a good one on the same connection."""
    parts = urlsplit(box.url)
    conn = RawConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    try:
        try:
            response = conn.request(method, url, headers, body, chunked=chunked)
        except (ConnectionError, OSError) as exc:
            return f"no answer: {exc}"
        problem = envelope_problem(target, response)
        if problem:
            return problem
        if response.headers.get("connection", "").lower() == "close":
            # Only a refused oversized body may end the exchange (the rest of it is unread).
            return None if response.status == 413 else "the server closed the connection"
        try:
            good = conn.request("GET", "/_sandbox/health")
        except (ConnectionError, OSError) as exc:
            return f"the connection is not usable afterwards: {exc}"
        if good.status != 200:
            return f"a good request afterwards got {good.status}"
        return None
    finally:
        conn.close()


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", BODY_FORMS, ids=[f[0] for f in BODY_FORMS])
def test_malformed_bodies_get_the_documented_error(
    box: Sandbox, targets: list[Target], form: tuple[str, bytes, str, bool]
) -> None:
    name, body, content_type, chunked = form
    failures = []
    for target in targets:
        if target.method not in BODY_METHODS:
            continue
        headers = {**target.headers, "Content-Type": content_type}
        problem = exchange(box, target, target.method, target.path, headers, body, chunked=chunked)
        if problem:
            failures.append(f"{target.method} {target.template}: {problem}")
    assert not failures, f"{len(failures)} routes failed {name}:\n" + "\n".join(failures)


@pytest.mark.parametrize("value", QUERY_VALUES, ids=[v[0] for v in QUERY_VALUES])
def test_malformed_query_values_get_the_documented_error(
    box: Sandbox, targets: list[Target], value: tuple[str, str]
) -> None:
    name, text = value
    failures = []
    for target in targets:
        # One parameter at a time: Seamless refuses unknown parameters before reading any.
        for param in INT_QUERY_NAMES:
            url = f"{target.path}?{BASE_QUERY.get(target.template, '')}{param}={text}"
            body = b"{}" if target.method in BODY_METHODS else None
            headers = {**target.headers, "Content-Type": "application/json"}
            problem = exchange(box, target, target.method, url, headers, body)
            if problem:
                failures.append(f"{target.method} {target.template}?{param}: {problem}")
    assert not failures, f"{len(failures)} requests failed {name}:\n" + "\n".join(failures)


def test_every_route_was_probed(targets: list[Target]) -> None:
    methods = {t.method for t in targets}
    families = {
        "seamless" if t.seamless else t.template.split("/")[1] + "/" + t.template.split("/")[2]
        for t in targets
    }
    assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= methods
    assert {
        "seamless",
        "api/v1",
        "api/chat",
        "api/forms",
        "webhooks/workflow",
        "_sandbox/keys",
    } <= families


def test_probe_routes_come_from_a_running_server(box: Sandbox) -> None:
    # The in-process route table is the one the process serves: an unknown path is a 404
    # envelope, a known one is not.
    parts = urlsplit(box.url)
    conn = RawConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    try:
        assert conn.request("GET", "/api/v1/no-such-route").status == 404
        assert conn.request("GET", "/_sandbox/health").status == 200
    finally:
        conn.close()


def test_handlers_read_only_what_their_routes_declare(box: Sandbox) -> None:
    # Runs last: the probe bodies above carried every field name handlers read, so a read
    # that a route's declaration (and so the OpenAPI document) misses would be counted.
    stats = box.control("GET", "stats")
    undeclared = sorted(k for k in stats if k.startswith("undeclared_input:"))
    assert stats.get("undeclared_input", 0) == 0, undeclared
