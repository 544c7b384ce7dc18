"""The sandbox's request plumbing: routes, the JSON envelope, errors, validation, cursors.

Handlers are plain functions ``handler(ctx) -> Reply``; each area adds its own to
the ``Router`` of a server when it registers (``router.add(...)``).
A synchronous handler runs inside one store transaction, so a request that fails
half-way changes nothing. An ``async`` handler manages its own transactions (for
work that must await, such as resolving a webhook host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.sandbox.keys import KeyInfo
from app.sandbox.store import Store, dumps

if TYPE_CHECKING:
    from starlette.requests import Request

    from app.sandbox.state import SandboxState

MAX_BODY_BYTES = 1_000_000
# Request bodies: containers deeper than this are refused (no real payload comes close, and
# deeper ones would reach Python's recursion limit in the decoder or the handlers).
MAX_JSON_DEPTH = 64
# Integers are stored in SQLite, whose INTEGER is 64 bits; longer ones are refused on input.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Longer numbers are refused while decoding (before the field is known); shorter ones that are
# still out of range are refused afterwards, naming their field.
_PARSE_DIGITS_MAX = 100
UNSTORABLE_MESSAGE = (
    "A value in the request is out of range (64-bit integers) or not valid Unicode text"
)
CURSOR_TTL_MS = 24 * 3600 * 1000


class ApiError(Exception):
    """An error answered with the error envelope of docs/api/seedly-crm.md §10."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.body = body  # a whole custom body (the Seamless API's error shapes)
        self.field = field

    def payload(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            # An addition to the envelope (new fields are non-breaking,
            # docs/api/seedly-crm.md §12):
            # lets a client show the message on the field it concerns.
            error["field"] = self.field
        return {"error": error}


def validation(message: str, field: str | None = None) -> ApiError:
    """A 400 VALIDATION_ERROR; ``field`` defaults to the first word when it names a field."""
    if field is None:
        first = message.split(" ", 1)[0]
        if first and (first[0].islower() and first.replace(".", "").replace("_", "").isalnum()):
            field = first
    return ApiError(400, "VALIDATION_ERROR", message, field=field)


def not_found(what: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"{what} not found")


@dataclass
class Reply:
    """What a handler answers: data in the envelope, or a raw body when ``raw`` is set."""

    data: Any = None
    meta: dict[str, Any] | None = None
    status: int = 200
    raw: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> Any:
        if self.raw is not None:
            return self.raw
        out: dict[str, Any] = {"data": self.data}
        if self.meta is not None:
            out["meta"] = self.meta
        return out


# ---------------------------------------------------------------------------
# Declaring request input


@dataclass(frozen=True)
class Param:
    """A query parameter or body field a route reads, declared where the route is added.

    The OpenAPI document (``openapi.py``) is generated from these declarations, and the
    server counts every read of a name its route did not declare (``undeclared_input`` in
    ``/_sandbox/stats``), so a declaration cannot quietly fall behind its handler.
    """

    name: str
    type: str = "string"  # a JSON Schema type, or "any"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_len: int | None = None
    items: str | None = None  # the type of an array's items
    max_items: int | None = None
    fields: tuple[Param, ...] = ()  # the fields of an object (or of each object of an array)

    @classmethod
    def text(
        cls,
        name: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        choices: Sequence[str] = (),
    ) -> Param:
        return cls(name, "string", required, tuple(choices), max_len=max_len)

    @classmethod
    def integer(
        cls,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Param:
        return cls(name, "integer", required, minimum=minimum, maximum=maximum)

    @classmethod
    def number(
        cls,
        name: str,
        *,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Param:
        return cls(name, "number", required, minimum=minimum, maximum=maximum)

    @classmethod
    def flag(cls, name: str, *, required: bool = False) -> Param:
        return cls(name, "boolean", required)

    @classmethod
    def texts(
        cls,
        name: str,
        *,
        required: bool = False,
        max_items: int | None = None,
        max_len: int | None = None,
        choices: Sequence[str] = (),
    ) -> Param:
        """An array of strings."""
        return cls(
            name,
            "array",
            required,
            tuple(choices),
            max_len=max_len,
            items="string",
            max_items=max_items,
        )

    @classmethod
    def object(cls, name: str, *fields: Param, required: bool = False) -> Param:
        """An object; ``fields`` are the ones known (others may be present)."""
        return cls(name, "object", required, fields=fields)

    @classmethod
    def objects(
        cls, name: str, *fields: Param, required: bool = False, max_items: int | None = None
    ) -> Param:
        """An array of objects with ``fields``."""
        return cls(name, "array", required, items="object", max_items=max_items, fields=fields)

    @classmethod
    def any(cls, name: str, *, required: bool = False) -> Param:
        """Any JSON value."""
        return cls(name, "any", required)

    def schema(self) -> dict[str, Any]:
        """This parameter as a JSON Schema (the OpenAPI 3.0 subset)."""
        if self.type == "any":
            return {}
        if self.type == "object":
            return _object_schema(self.fields)
        out: dict[str, Any] = {"type": self.type}
        if self.type == "array":
            item: dict[str, Any] = (
                _object_schema(self.fields) if self.items == "object" else {"type": self.items}
            )
            if self.choices:
                item["enum"] = list(self.choices)
            if self.max_len is not None:
                item["maxLength"] = self.max_len
            out["items"] = item
            if self.max_items is not None:
                out["maxItems"] = self.max_items
            return out
        if self.choices:
            out["enum"] = list(self.choices)
        if self.max_len is not None:
            out["maxLength"] = self.max_len
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


def _object_schema(fields: Sequence[Param]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if fields:
        out["properties"] = {f.name: f.schema() for f in fields}
        required = [f.name for f in fields if f.required]
        if required:
            out["required"] = required
    return out


def page_query(maximum: int) -> tuple[Param, ...]:
    """``limit`` and ``cursor`` of a keyset-paginated list (docs/api/seedly-crm.md §9)."""
    return (
        Param.integer("limit", minimum=1, maximum=maximum),
        Param.text("cursor", max_len=2000),
    )


# ---------------------------------------------------------------------------
# Reading request input


_INT_TEXT = re.compile(rf"[+-]?[0-9]{{1,{_PARSE_DIGITS_MAX}}}")


def int_from_text(text: str) -> int | None:
    """The integer a query value spells in ASCII digits (None for anything else).

    Stricter than ``int()``, which also takes other scripts' digits, underscores and blanks,
    and raises on more than 4,300 digits; values that overflow 64 bits are left to the
    caller's range check.
    """
    text = text.strip()
    if not _INT_TEXT.fullmatch(text):
        return None
    return int(text)


class Query:
    """Query parameters with typed, validated accessors."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params
        self.read: set[str] = set()  # the names a handler asked for (declaration check)

    def __contains__(self, name: str) -> bool:
        # Not a read: handlers test names they refuse (read-only fields) this way.
        return name in self._params

    def str(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
        max_len: int = 500,
    ) -> str | None:
        self.read.add(name)
        value = self._params.get(name)
        if value is None or value == "":
            if required:
                raise validation(f"{name} is required")
            return None
        if len(value) > max_len:
            raise validation(f"{name} is too long (at most {max_len} characters)")
        if choices is not None and value not in choices:
            raise validation(f"{name} must be one of: {', '.join(choices)}")
        return value

    def int(
        self,
        name: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = False,
    ) -> int | None:
        self.read.add(name)
        text = self._params.get(name)
        if text is None or text == "":
            if required:
                raise validation(f"{name} is required")
            return default
        value = int_from_text(text)
        if value is None:
            raise validation(f"{name} must be an integer")
        low = INT64_MIN if minimum is None else minimum
        high = INT64_MAX if maximum is None else maximum
        if value < low:
            raise validation(f"{name} must be at least {low}")
        if value > high:
            raise validation(f"{name} must be at most {high}")
        return value

    def bool(self, name: str) -> bool | None:
        self.read.add(name)
        text = self._params.get(name)
        if text is None or text == "":
            return None
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise validation(f"{name} must be true or false")

    def equals(self, columns: Sequence[tuple[str, str]]) -> tuple[list[str], list[Any]]:
        """SQL conditions for ``name=value`` parameters that filter a column by equality."""
        where: list[str] = ["1"]
        params: list[Any] = []
        for name, column in columns:
            value = self.str(name, max_len=200)
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        return where, params

    def limit(self, default: int, maximum: int) -> int:
        value = self.int("limit", default=default, minimum=1)
        assert value is not None
        if value > maximum:
            raise validation(f"limit must be at most {maximum}")
        return value


_MISSING = object()


class Body:
    """A JSON object body with typed, validated accessors that name the field on error."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.read: set[str] = set()  # the names a handler asked for (declaration check)

    def __contains__(self, name: str) -> bool:
        # Not a read: handlers test names they refuse (read-only fields) this way.
        return name in self.data

    def _get(self, name: str, default: Any = _MISSING) -> Any:
        self.read.add(name)
        return self.data.get(name, default)

    def raw(self, name: str, default: Any = None) -> Any:
        return self._get(name, default)

    def str(
        self,
        name: str,
        *,
        required: bool = False,
        nullable: bool = True,
        choices: Sequence[str] | None = None,
        max_len: int = 10_000,
        strip: bool = True,
    ) -> str | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise validation(f"{name} is required")
            if value is None and not nullable:
                raise validation(f"{name} cannot be null")
            return None
        if not isinstance(value, str):
            raise validation(f"{name} must be a string")
        if strip:
            value = value.strip()
        if required and not value:
            raise validation(f"{name} is required")
        if len(value) > max_len:
            raise validation(f"{name} is too long (at most {max_len} characters)")
        if choices is not None and value not in choices:
            raise validation(f"{name} must be one of: {', '.join(choices)}")
        return value

    def str_list(
        self,
        name: str,
        *,
        required: bool = False,
        max_items: int = 1000,
        max_len: int = 500,
        choices: Sequence[str] | None = None,
    ) -> list[str] | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise validation(f"{name} is required")
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise validation(f"{name} must be an array of strings")
        if len(value) > max_items:
            raise validation(f"{name} has too many items (at most {max_items})")
        out: list[str] = []
        for item in value:
            item = item.strip()
            if not item:
                raise validation(f"{name} cannot contain empty strings")
            if len(item) > max_len:
                raise validation(f"{name} items must be at most {max_len} characters")
            if choices is not None and item not in choices:
                raise validation(f"{name} contains an unknown value: {item}")
            if item not in out:
                out.append(item)
        return out

    def bool(self, name: str, *, required: bool = False) -> bool | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise validation(f"{name} is required")
            return None
        if not isinstance(value, bool):
            raise validation(f"{name} must be true or false")
        return value

    def int(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise validation(f"{name} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise validation(f"{name} must be a number")
        if isinstance(value, float):
            if not value.is_integer():
                raise validation(f"{name} must be a whole number")
            value = int(value)
        low = INT64_MIN if minimum is None else minimum
        high = INT64_MAX if maximum is None else maximum
        if value < low:
            raise validation(f"{name} must be at least {low}")
        if value > high:
            raise validation(f"{name} must be at most {high}")
        return value

    def obj(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise validation(f"{name} is required")
            return None
        if not isinstance(value, dict):
            raise validation(f"{name} must be an object")
        return value


class _NotJson(ValueError):
    """A number JSON does not have (NaN, Infinity, one that overflows a double)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"{text[:20]} is too large for a number")
    return value


def _bounded_int(text: str) -> int:
    # Checked before int(): Python refuses to convert more than 4,300 digits with a ValueError.
    if len(text.lstrip("-")) > _PARSE_DIGITS_MAX:
        raise _NotJson(f"a number of {len(text.lstrip('-'))} digits is too long (64-bit integers)")
    return int(text)


def _is_text(value: str) -> bool:
    """False for a string holding lone surrogates (not Unicode text: SQLite and UTF-8 refuse it)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_tree(value: dict[str, Any]) -> None:
    """Refuse what JSON allows but the sandbox cannot hold: deep nesting, lone surrogates in
    keys or values, integers outside 64 bits. Iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, str, str | None, int]] = [(value, "", None, 1)]
    while stack:
        node, path, field_name, depth = stack.pop()
        if isinstance(node, str):
            if not _is_text(node):
                raise validation(
                    f"{path or 'Request body'} contains a lone surrogate (not valid Unicode text)",
                    field_name,
                )
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise validation(f"{path} is out of range (a 64-bit integer)", field_name)
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise validation(
                    f"Request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)",
                    field_name,
                )
            if isinstance(node, dict):
                for key, item in node.items():
                    child = f"{path}.{key}" if path else key
                    if not _is_text(key):
                        raise validation(
                            f"A key in {path or 'the request body'} contains a lone surrogate "
                            "(not valid Unicode text)",
                            field_name or "",
                        )
                    stack.append((item, child, field_name or key, depth + 1))
            else:
                for index, item in enumerate(node):
                    stack.append((item, f"{path}[{index}]", field_name, depth + 1))


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Decode a request body that must be a JSON object, or raise a 400 VALIDATION_ERROR.

    The one place request bodies are decoded (the Seamless routes re-shape its errors):
    whatever the bytes, the outcome is a dict a handler can store and echo, or an ApiError.
    """
    if not raw.strip():
        return {}
    try:
        value = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except UnicodeDecodeError:
        raise validation("Request body is not UTF-8 text", "") from None
    except json.JSONDecodeError as exc:
        raise validation(
            f"Request body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            "",
        ) from None
    except RecursionError:
        raise validation(
            f"Request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)", ""
        ) from None
    except _NotJson as exc:
        raise validation(f"Request body refused: {exc}", "") from None
    if not isinstance(value, dict):
        raise validation("Request body must be a JSON object", "")
    _check_tree(value)
    return value


# ---------------------------------------------------------------------------
# Context and routes


@dataclass
class Ctx:
    """Everything a handler may use for one request."""

    request: Request
    state: SandboxState
    path: dict[str, str]
    query: Query
    raw_body: bytes
    key: KeyInfo | None = None
    sub_account_id: str | None = None
    _body: Body | None = None

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def body(self) -> Body:
        if self._body is None:
            self._body = Body(parse_json_object(self.raw_body))
        return self._body

    @property
    def account(self) -> str:
        """The sub-account the request operates on (always set for key-authenticated routes)."""
        if self.sub_account_id is None:
            raise ApiError(500, "INTERNAL_ERROR", "No sub-account resolved for this request")
        return self.sub_account_id

    def now(self) -> int:
        """This server's sandbox time in Unix milliseconds."""
        return self.state.clock.now_ms()


Handler = Callable[[Ctx], "Reply | Awaitable[Reply]"]


@dataclass
class RouteSpec:
    method: str
    path: str
    handler: Handler
    auth: str  # "key" (sub-account resolved), "agency" (agency key only), "public", "control", "seamless"
    scope: str | None
    limit_group: str | None  # rate-limit group for public endpoints
    query: tuple[Param, ...] = ()  # the query parameters the handler reads
    body: tuple[Param, ...] | None = None  # the body fields it reads (None: it reads no body)
    media_types: tuple[str, ...] = ("application/json",)  # the body encodings it accepts

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def undeclared(self, ctx: Ctx) -> list[str]:
        """The query and body names the handler read for ``ctx`` without declaring them."""
        found = [f"query.{n}" for n in sorted(ctx.query.read - {p.name for p in self.query})]
        if ctx._body is not None:
            declared = {p.name for p in self.body or ()}
            found += [f"body.{n}" for n in sorted(ctx._body.read - declared)]
        return found


class Router:
    """The routes of one server, in the order the areas added them."""

    def __init__(self) -> None:
        self.routes: list[RouteSpec] = []

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        auth: str = "key",
        scope: str | None = None,
        limit_group: str | None = None,
        query: Sequence[Param] = (),
        body: Sequence[Param] | None = None,
        media_types: Sequence[str] = ("application/json",),
    ) -> None:
        """Answer ``method path`` (Starlette path syntax) with ``handler``, which reads the
        query parameters ``query`` and (when not None) a body with the fields ``body`` in
        one of ``media_types``."""
        self.routes.append(
            RouteSpec(
                method.upper(),
                path,
                handler,
                auth,
                scope,
                limit_group,
                tuple(query),
                None if body is None else tuple(body),
                tuple(media_types),
            )
        )

    def methods_by_path(self, auth: str) -> dict[str, set[str]]:
        """The methods of each path whose routes use ``auth`` (for answering 404 vs 405)."""
        out: dict[str, set[str]] = {}
        for spec in self.routes:
            if spec.auth == auth:
                out.setdefault(spec.path, set()).add(spec.method)
        return out


# ---------------------------------------------------------------------------
# Cursors: opaque, signed, bound to the filters they were issued for


def filter_signature(parts: Iterable[Any]) -> str:
    return hashlib.sha256(dumps(list(parts)).encode()).hexdigest()[:16]


def encode_cursor(
    secret: bytes, kind: str, position: Sequence[Any], filters: str, now_ms: int
) -> str:
    """A signed cursor for the position after ``position``, issued at ``now_ms``."""
    payload = dumps({"k": kind, "p": list(position), "f": filters, "t": now_ms}).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    sig = hmac.new(secret, body, hashlib.sha256).digest()[:12]
    return (body + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()


def decode_cursor(secret: bytes, cursor: str, kind: str, filters: str, now_ms: int) -> list[Any]:
    """The position a cursor points after; VALIDATION_ERROR when it is not one of ours."""
    bad = validation("Invalid or expired cursor. Start again without a cursor.")
    try:
        body, sig = cursor.encode("ascii").split(b".", 1)
        expected = hmac.new(secret, body, hashlib.sha256).digest()[:12]
        given = base64.urlsafe_b64decode(sig + b"=" * (-len(sig) % 4))
        if not hmac.compare_digest(expected, given):
            raise bad
        payload = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
    except ApiError:
        raise
    except Exception:
        raise bad from None
    if payload.get("k") != kind:
        raise bad
    if payload.get("f") != filters:
        raise validation(
            "This cursor was issued for different filters. Start again without a cursor."
        )
    if now_ms - int(payload.get("t", 0)) > CURSOR_TTL_MS:
        raise bad
    position = payload.get("p")
    if not isinstance(position, list):
        raise bad
    return position


def keyset_page(
    ctx: Ctx,
    *,
    kind: str,
    table_sql: str,
    where: list[str],
    params: list[Any],
    sort_col: str,
    id_col: str,
    limit: int,
    descending: bool = True,
    render: Callable[[Any], Any],
    filters: Sequence[Any] = (),
    with_total: bool = True,
) -> Reply:
    """One page of a keyset-paginated list ordered by (sort_col, id_col).

    Keyset cursors stay correct while data changes: rows are never repeated or
    skipped because of inserts or deletes elsewhere in the list.
    """
    sig = filter_signature([kind, *filters])
    page_where = list(where)
    page_params = list(params)
    cursor = ctx.query.str("cursor", max_len=2000)
    if cursor:
        pos_sort, pos_id = decode_cursor(ctx.store.secret(), cursor, kind, sig, ctx.now())
        op = "<" if descending else ">"
        page_where.append(f"({sort_col} {op} ? OR ({sort_col} = ? AND {id_col} {op} ?))")
        page_params += [pos_sort, pos_sort, pos_id]
    direction = "DESC" if descending else "ASC"
    where_sql = " AND ".join(page_where) or "1"
    rows = ctx.store.all(
        f"SELECT * FROM {table_sql} WHERE {where_sql} "
        f"ORDER BY {sort_col} {direction}, {id_col} {direction} LIMIT ?",
        [*page_params, limit + 1],
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(
            ctx.store.secret(),
            kind,
            [last[sort_col.split(".")[-1]], last[id_col.split(".")[-1]]],
            sig,
            ctx.now(),
        )
    meta: dict[str, Any] = {"hasMore": has_more, "cursor": next_cursor}
    if with_total:
        meta = {
            "total": ctx.store.scalar(
                f"SELECT COUNT(*) FROM {table_sql} WHERE {' AND '.join(where) or '1'}", params
            ),
            **meta,
        }
    return Reply([render(r) for r in rows], meta=meta)


def retry_after_seconds(reset_ms: int, now_ms: int) -> int:
    return max(1, math.ceil((reset_ms - now_ms) / 1000))
