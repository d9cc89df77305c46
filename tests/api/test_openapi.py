"""The REST routes described: an OpenAPI 3.1 document at /schema/openapi.json that a validator
accepts, that names every route the service serves besides GraphQL and the portal's pages, and
whose media types and token requirements are what the routes do."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from openapi_spec_validator import validate

from service.web import GraphQLEndpoint
from tests.api.conftest import Client, bearer

pytestmark = pytest.mark.database

# Served by others than the REST routes: the portal's pages and Litestar's own (static files,
# this document, the OPTIONS answers).
NOT_REST = ("portal", "litestar")
# A value for each path parameter, to call a route the document names.
PATH_VALUES = {"{filename}": "portfolio.csv"}
AUDITOR = bearer("audrey", "auditor", "admin")


def document(api: Client) -> dict[str, Any]:
    response = api.get("/schema/openapi.json")  # no token: it holds no data
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json"
    found: dict[str, Any] = response.json()
    return found


def rest_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every path and method the app serves, but GraphQL's, the portal's and Litestar's own."""
    return {
        (route.path_format, method.lower())
        for route in app.routes
        if route.path != GraphQLEndpoint.path
        for handler in getattr(route, "route_handlers", ())
        if not handler.fn.__module__.startswith(NOT_REST)
        for method in handler.http_methods
    }


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }


def test_the_document_is_valid_openapi_3_1(api: Client) -> None:
    doc = document(api)

    validate(doc)  # raises, saying where, on anything OpenAPI 3.1 does not allow
    assert doc["openapi"].startswith("3.1")


def test_every_rest_route_is_described_and_nothing_else(api: Client) -> None:
    described = operations(document(api))

    assert set(described) == rest_routes(api.app)
    assert {"/exports", "/exports/{filename}", "/feeds/events", "/metrics"} <= {
        path for path, _ in described
    }
    for where, operation in described.items():
        assert operation["summary"], where
        assert operation["description"], where
        success = [status for status in operation["responses"] if status.startswith("2")]
        assert success, where


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/exports/{filename}", "text/csv"),
        ("/exports", "application/json"),
        ("/feeds/events", "application/x-ndjson"),
        ("/audit/access-log.csv", "text/csv"),
        ("/metrics", "text/plain"),
        ("/audit/public-key", "application/x-pem-file"),
        ("/health", "application/json"),
    ],
)
def test_each_route_is_described_with_the_media_type_it_sends(
    api: Client, path: str, media_type: str
) -> None:
    (described,) = operations(document(api))[(path, "get")]["responses"]["200"]["content"]
    response = api.get(called(path), headers=AUDITOR)

    assert response.status_code == 200, response.text
    assert described.partition(";")[0] == media_type
    assert response.headers["content-type"].partition(";")[0] == media_type


def test_the_routes_said_to_need_no_token_need_none_and_the_others_refuse_a_request_without(
    api: Client,
) -> None:
    doc = document(api)
    assert doc["security"] == [{"BearerToken": []}]  # unless an operation says otherwise

    for (path, method), operation in operations(doc).items():
        response = api.request(method.upper(), called(path))
        if {} in operation.get("security", doc["security"]):
            assert response.status_code != 401, path
        else:
            assert response.status_code == 401, path
            assert "401" in operation["responses"], path


def test_the_document_is_served_as_json_and_no_viewer_that_loads_from_a_cdn(api: Client) -> None:
    assert api.get("/schema").json()["openapi"].startswith("3.1")
    for viewer in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert api.get(viewer).status_code == 404, viewer


def called(path: str) -> str:
    for parameter, value in PATH_VALUES.items():
        path = path.replace(parameter, value)
    return path
