"""The OpenAPI document is generated from the route table: valid, complete and typed."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from app.core.constants import LIFECYCLE_STAGES, LIST_LIMITS
from app.sandbox.openapi import document
from app.sandbox.registry import Registry
from app.sandbox.server import register_areas


@pytest.fixture(scope="module")
def registry() -> Registry:
    found = Registry()
    register_areas(found)
    return found


@pytest.fixture(scope="module")
def doc(registry: Registry) -> dict[str, Any]:
    return document(registry.router.routes, "http://127.0.0.1:9")


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [{"url": "http://127.0.0.1:9"}]


def test_every_route_is_an_operation_and_nothing_else(
    registry: Registry, doc: dict[str, Any]
) -> None:
    routes = {(r.method.lower(), r.path) for r in registry.router.routes}
    operations = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert operations == routes
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_declarations_become_parameters_and_bodies(doc: dict[str, Any]) -> None:
    listing = doc["paths"]["/api/v1/contacts"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": LIST_LIMITS["contacts"][1],
    }
    assert params["lifecycleStage"]["schema"]["enum"] == list(LIFECYCLE_STAGES)
    assert params["hasPhone"]["schema"] == {"type": "boolean"} and "cursor" in params
    assert listing["security"] == [{"seedlyKey": []}] and listing["x-scope"] == "contacts:read"

    create = doc["paths"]["/api/v1/contacts"]["post"]["requestBody"]
    body = create["content"]["application/json"]["schema"]
    assert create["required"] and body["required"] == ["firstName", "lastName"]
    assert body["properties"]["tags"]["items"]["type"] == "string"
    patch = doc["paths"]["/api/v1/contacts/{id}"]["patch"]
    assert "required" not in patch["requestBody"]["content"]["application/json"]["schema"]
    assert patch["parameters"][0] == {
        "name": "id",
        "in": "path",
        "schema": {"type": "string"},
        "required": True,
    }


def test_each_api_has_its_own_security_and_error_shapes(doc: dict[str, Any]) -> None:
    seamless = doc["paths"]["/api/client/v1/search/contacts"]["post"]
    assert seamless["security"] == [{"seamlessToken": []}, {"seamlessOAuth": []}]
    assert seamless["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SeamlessError"
    }
    assert "422" in seamless["responses"]
    body = seamless["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert body["seniority"]["type"] == "array" and body["seniority"]["items"]["enum"]
    token = doc["paths"]["/api/client/v1/oauth/accessToken"]["post"]
    assert token["security"] == []
    assert set(token["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    public = doc["paths"]["/api/chat/session"]["post"]
    assert public["security"] == [] and public["tags"] == ["Seedly public endpoints"]
    assert public["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SeedlyError"
    }
    control = doc["paths"]["/_sandbox/openapi.json"]["get"]
    assert control["tags"] == ["Sandbox control"] and control["security"] == []


def test_routes_without_a_body_declare_none(doc: dict[str, Any]) -> None:
    assert "requestBody" not in doc["paths"]["/api/v1/contacts/{id}"]["delete"]
    assert "requestBody" not in doc["paths"]["/api/v1/webhooks/{id}/regenerate-secret"]["post"]
