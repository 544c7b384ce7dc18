"""``GET /_sandbox/openapi.json``: an OpenAPI 3.0 document of both APIs, made from the route table.

Nothing in it is written per route: paths and methods come from the server's
``Router``, path parameters from the path templates, query parameters and body
fields from the ``Param`` declarations each area gives ``router.add`` (the server
counts reads that a declaration misses), summaries from the handlers' docstrings,
security and error shapes from each route's kind of authentication:

* Seedly CRM routes (``key``, ``agency``): ``Authorization: Bearer sk_...`` and the
  error envelope of docs/api/seedly-crm.md §10;
* public Seedly endpoints (chat, forms, workflow triggers): no key, same envelope;
* Seamless routes: ``Token`` (or an OAuth bearer token) and the shapes of
  docs/api/seamless.md "Rate limits & errors";
* the sandbox's own control routes, tagged ``Sandbox control``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.core.constants import API_VERSION
from app.sandbox.http import Ctx, Param, Reply, RouteSpec
from app.sandbox.registry import Registry
from app.sandbox.seamless.gate import PUBLIC_PATHS as SEAMLESS_PUBLIC_PATHS

PATH = "/_sandbox/openapi.json"
TAGS = {
    "key": "Seedly CRM",
    "agency": "Seedly CRM",
    "public": "Seedly public endpoints",
    "seamless": "Seamless",
    "control": "Sandbox control",
}
_SEEDLY_ERROR = {"$ref": "#/components/schemas/SeedlyError"}
_SEAMLESS_ERROR = {"$ref": "#/components/schemas/SeamlessError"}
_ERRORS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    "key": {
        "400": ("VALIDATION_ERROR", _SEEDLY_ERROR),
        "401": ("UNAUTHORIZED, KEY_EXPIRED or KEY_REVOKED", _SEEDLY_ERROR),
        "403": ("FORBIDDEN: a scope or sub-account the key lacks", _SEEDLY_ERROR),
        "404": ("NOT_FOUND", _SEEDLY_ERROR),
        "413": ("The body is over 1 MB", _SEEDLY_ERROR),
        "429": ("RATE_LIMITED", _SEEDLY_ERROR),
        "500": ("INTERNAL_ERROR (retry with back-off)", _SEEDLY_ERROR),
    },
    "public": {
        "400": ("VALIDATION_ERROR", _SEEDLY_ERROR),
        "401": ("UNAUTHORIZED: a missing or wrong signature", _SEEDLY_ERROR),
        "403": ("FORBIDDEN", _SEEDLY_ERROR),
        "404": ("NOT_FOUND", _SEEDLY_ERROR),
        "409": ("CONFLICT", _SEEDLY_ERROR),
        "413": ("The body is over 1 MB", _SEEDLY_ERROR),
        "429": ("RATE_LIMITED", _SEEDLY_ERROR),
        "500": ("INTERNAL_ERROR (retry with back-off)", _SEEDLY_ERROR),
    },
    "seamless": {
        "400": ("badRequest", _SEAMLESS_ERROR),
        "401": ("A missing or bad key or token", _SEAMLESS_ERROR),
        "404": ("notFound", _SEAMLESS_ERROR),
        "413": ("payloadTooLarge", _SEAMLESS_ERROR),
        "422": (
            "insufficientCredits or missingLicense",
            {"$ref": "#/components/schemas/SeamlessCreditError"},
        ),
        "429": ("rateLimitExceeded", _SEAMLESS_ERROR),
        "500": ("A server error", _SEAMLESS_ERROR),
    },
    "control": {
        "400": ("VALIDATION_ERROR", _SEEDLY_ERROR),
        "404": ("NOT_FOUND", _SEEDLY_ERROR),
        "409": ("CONFLICT", _SEEDLY_ERROR),
        "413": ("The body is over 1 MB", _SEEDLY_ERROR),
    },
}
_ERRORS["agency"] = _ERRORS["key"]
_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "seedlyKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Seedly API key: sk_live_..., sk_agency_live_... (sk_test_... here)",
        },
        "seamlessToken": {"type": "apiKey", "in": "header", "name": "Token"},
        "seamlessOAuth": {"type": "http", "scheme": "bearer"},
    },
    "schemas": {
        "SeedlyError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "minLength": 1},
                        "message": {"type": "string", "minLength": 1},
                        "field": {"type": "string"},
                    },
                }
            },
        },
        "SeamlessError": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string", "minLength": 1},
                "code": {"type": "string"},
                "field": {"type": "string"},
            },
        },
        "SeamlessCreditError": {
            "type": "object",
            "required": ["msg", "code", "data"],
            "properties": {
                "msg": {"type": "string", "minLength": 1},
                "code": {"type": "string"},
                "data": {
                    "type": "object",
                    "properties": {
                        "productCategory": {"type": "string"},
                        "additionalCreditsNeeded": {"type": "integer"},
                    },
                },
            },
        },
    },
}
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    if spec.auth in ("key", "agency"):
        return [{"seedlyKey": []}]
    if spec.auth == "seamless" and spec.path not in SEAMLESS_PUBLIC_PATHS:
        return [{"seamlessToken": []}, {"seamlessOAuth": []}]
    return []


def _summary(spec: RouteSpec) -> str:
    doc = (spec.handler.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else f"{spec.method} {spec.path}"


def _operation_id(spec: RouteSpec) -> str:
    words = re.findall(r"[A-Za-z0-9]+", spec.path)
    return "_".join([spec.method.lower(), *words])


def _parameter(place: str, param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param.name, "in": place, "schema": param.schema()}
    if param.required or place == "path":
        out["required"] = True
    if param.type == "array":
        # A list in a query string: one comma-separated value (the handlers split it).
        out["schema"] = {"type": "string"}
    return out


def operation(spec: RouteSpec) -> dict[str, Any]:
    """The OpenAPI operation object of one route."""
    params = [
        _parameter("path", Param.text(name, required=True))
        for name in _PATH_PARAM.findall(spec.path)
    ]
    params += [_parameter("query", p) for p in spec.query]
    if spec.auth == "key":
        params.append(
            {
                "name": "X-Sub-Account-Id",
                "in": "header",
                "required": False,
                "description": "The sub-account an agency key acts on (docs/api/seedly-crm.md §2)",
                "schema": {"type": "string"},
            }
        )
    op: dict[str, Any] = {
        "operationId": _operation_id(spec),
        "summary": _summary(spec),
        "tags": [TAGS[spec.auth]],
        "security": _security(spec),
        "responses": {
            "2XX": {"description": "Success", "content": {"application/json": {"schema": {}}}},
            **{
                status: {"description": text, "content": {"application/json": {"schema": schema}}}
                for status, (text, schema) in _ERRORS[spec.auth].items()
            },
        },
    }
    if params:
        op["parameters"] = params
    if spec.scope:
        op["x-scope"] = spec.scope
    if spec.body is not None:
        schema = Param.object("body", *spec.body).schema()
        op["requestBody"] = {
            "required": any(p.required for p in spec.body),
            "content": {media: {"schema": schema} for media in spec.media_types},
        }
    return op


def document(routes: Sequence[RouteSpec], server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``routes`` served at ``server_url``."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        template = _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", spec.path)
        paths.setdefault(template, {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Seedly Desk sandbox: the Seedly CRM and Seamless.AI APIs",
            "version": API_VERSION,
            "description": "Generated from the sandbox's route table. The Seedly CRM API is "
            "described in docs/api/seedly-crm.md, the Seamless.AI API in docs/api/seamless.md.",
        },
        "servers": [{"url": server_url or "/"}],
        "tags": [{"name": name} for name in dict.fromkeys(TAGS.values())],
        "paths": paths,
        "components": _COMPONENTS,
    }


def register(registry: Registry) -> None:
    """Serve the document of this server's routes (those of every area, declared or not yet)."""
    routes = registry.router.routes

    def openapi_document(ctx: Ctx) -> Reply:
        """The OpenAPI document of both APIs and the control routes."""
        return Reply(raw=document(routes, ctx.state.base_url))

    registry.router.add("GET", PATH, openapi_document, auth="control")
