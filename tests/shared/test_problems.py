"""Every error is RFC 9457 problem+json with a request id and no echo of the input (E1, E2, E3)."""

from __future__ import annotations

import uuid

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict, Field

from shared.app import build_app
from shared.config import ServiceSettings
from shared.problems import NotFound
from tests.support.apps import client_for

SENTINEL = "SENTINEL-7f3a-do-not-echo"


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)
    count: int


def make_app() -> FastAPI:
    router = APIRouter()

    @router.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @router.get("/things/{thing_id}")
    async def read(thing_id: int) -> dict[str, int]:
        raise NotFound(f"thing {thing_id} does not exist")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd SELECT * FROM x")

    return build_app(
        ServiceSettings(profile="test", service_name="probe"),
        title="probe",
        description="probe",
        routers=[router],
        use_database=False,
    )


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    async with client_for(make_app()) as c:
        yield c


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "request_id"} <= body.keys()
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_path_is_a_404_problem(client) -> None:  # type: ignore[no-untyped-def]
    assert_problem(await client.get("/nowhere"), 404)


async def test_wrong_method_is_a_405_problem(client) -> None:  # type: ignore[no-untyped-def]
    assert_problem(await client.delete("/things"), 405)


async def test_domain_error_is_rendered(client) -> None:  # type: ignore[no-untyped-def]
    body = assert_problem(await client.get("/things/42"), 404)
    assert body["detail"] == "thing 42 does not exist"


async def test_validation_names_fields_but_never_echoes_values(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/things", json={"name": SENTINEL, "count": SENTINEL, "x": SENTINEL}
    )
    body = assert_problem(response, 422)
    assert SENTINEL not in response.text
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "count", "x"} <= fields


async def test_malformed_json_is_a_422_problem(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/things",
        content=b'{"name": "' + SENTINEL.encode() + b'"',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422)
    assert SENTINEL not in response.text


async def test_unexpected_error_is_a_500_problem_without_internals(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/boom")
    body = assert_problem(response, 500)
    for leak in ("Traceback", "RuntimeError", "/etc/passwd", "SELECT"):
        assert leak not in response.text
    assert body["title"] == "Internal server error"


async def test_request_id_kept_only_when_a_uuid(client) -> None:  # type: ignore[no-untyped-def]
    good = str(uuid.uuid4())
    r = await client.get("/healthz", headers={"X-Request-ID": good})
    assert r.headers["x-request-id"] == good
    for bad in ("abc", "1; DROP TABLE", "x" * 300, "\u00e9" * 3):
        r = await client.get("/nowhere", headers={"X-Request-ID": bad.encode("utf-8")})
        generated = r.headers["x-request-id"]
        assert generated != bad
        uuid.UUID(generated)
        assert r.json()["request_id"] == generated


async def test_api_responses_are_not_cached_and_carry_no_banner(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/healthz")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "server" not in r.headers


async def test_metrics_count_requests_per_route_template(client) -> None:  # type: ignore[no-untyped-def]
    await client.get("/things/1")
    await client.get("/things/2")
    text = (await client.get("/metrics")).text
    assert 'route="/things/{thing_id}"' in text
    assert (
        'http_requests_total{method="GET",route="/things/{thing_id}",'
        'service="probe",status="404"} 2.0' in text
    )


def test_openapi_declares_errors_as_problem_json_with_the_problem_schema() -> None:
    """Found by the fuzzer: errors were documented as problem+json without a schema, so no
    client or schema-driven test could check their shape."""
    document = make_app().openapi()
    responses = document["paths"]["/things"]["post"]["responses"]
    for status in ("4XX", "5XX"):
        problem = responses[status]["content"]["application/problem+json"]["schema"]
        assert problem == {"$ref": "#/components/schemas/Problem"}
    assert {"type", "title", "status"} <= set(
        document["components"]["schemas"]["Problem"]["required"]
    )
