"""Issue 18 item 1: the merged document is a contract client generators accept.

Checked here in Python (fast, no Node): every reference resolves, operation ids are names a
person would give, every operation and tag is described, ``servers`` names the gateway,
public operations say ``security: []``, the main flows carry examples that match their
schemas, and the ``Problem`` schema types its ``errors[]`` and the submission row report.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

from services.gateway.openapi.contract import NAMES, TAGS
from services.gateway.openapi.examples import EXAMPLES
from tests.contract.conftest import PUBLIC_URL

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def references(node: Any, where: str = "#") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append((value, where))
            else:
                found += references(value, f"{where}/{key}")
        return found
    if isinstance(node, list):
        return [r for i, v in enumerate(node) for r in references(v, f"{where}/{i}")]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    """A local JSON pointer (RFC 6901), as a generator reads it: from the document root."""
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise LookupError(f"{ref} does not resolve")
        node = node[part]
    return node


def test_every_reference_resolves_from_the_document_root(merged: dict[str, Any]) -> None:
    refs = references(merged)
    assert refs
    unresolved = []
    for ref, where in refs:
        try:
            resolve(merged, ref)
        except LookupError:
            unresolved.append(f"{ref} at {where}")
    assert unresolved == []
    assert "$defs" not in str(merged)


def test_operation_ids_are_names_a_person_would_give(merged: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(merged)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not CAMEL.match(i)] == []
    by_route = {(m, p): op["operationId"] for p, m, op in operations(merged)}
    assert by_route[("get", "/v1/actions")] == "listActions"
    assert by_route[("post", "/v1/imports")] == "createImport"
    assert by_route[("post", "/v1/submissions")] == "createSubmission"
    assert by_route[("post", "/oauth/token")] == "createToken"
    assert by_route[("post", "/v1/audits")] == "createAudit"
    assert by_route[("get", "/v1/agencies")] == "listAgencies"


def test_every_rename_and_tag_description_is_in_use(merged: dict[str, Any]) -> None:
    """The tables in contract.py name only what the document has (no stale lines)."""
    ids = {op["operationId"] for _, _, op in operations(merged)}
    assert sorted(set(NAMES.values()) - ids) == []
    used = {t for _, _, op in operations(merged) for t in op.get("tags", [])}
    assert sorted(set(TAGS) - used) == []


def test_every_operation_and_tag_is_described(merged: dict[str, Any]) -> None:
    undescribed = [
        f"{method} {path}"
        for path, method, op in operations(merged)
        if not op.get("description", "").strip() or not op.get("summary", "").strip()
    ]
    assert undescribed == []
    declared = {t["name"]: t.get("description", "") for t in merged["tags"]}
    used = {t for _, _, op in operations(merged) for t in op.get("tags", [])}
    assert used <= set(declared)
    assert [t for t in used if not declared[t].strip()] == []
    # the description says what the caller must hold
    submit = merged["paths"]["/v1/submissions"]["post"]["description"]
    assert "`kpis:submit`" in submit
    assert "Idempotency-Key" in submit  # the endpoint's own docstring is kept


def test_servers_name_the_gateways_own_address(merged: dict[str, Any]) -> None:
    assert merged["servers"] == [{"url": PUBLIC_URL, "description": "this gateway"}]


def test_public_operations_need_no_token_and_say_so(merged: dict[str, Any]) -> None:
    public = {
        ("post", "/oauth/token"),
        ("get", "/oauth/authorize"),
        ("post", "/oauth/authorize"),
        ("get", "/oauth/federated/callback"),
        ("post", "/oauth/token/revoke"),
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/refresh"),
        ("post", "/v1/auth/logout"),
        ("get", "/.well-known/jwks.json"),
        ("get", "/.well-known/oauth-authorization-server"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    }
    marked = {(m, p) for p, m, op in operations(merged) if op.get("security") == []}
    assert marked == public
    for path, method, op in operations(merged):
        assert "security" in op, (method, path)  # none falls back to a global default
    assert "security" not in merged


def test_every_operation_but_the_providers_return_answers_a_2xx(
    merged: dict[str, Any],
) -> None:
    """Redocly's operation-2xx-response, switched off in redocly.yaml for the one redirect-only
    operation, held here for every other."""
    without = [
        (method, path)
        for path, method, op in operations(merged)
        if not any(str(code).startswith("2") for code in op["responses"])
    ]
    assert without == [("get", "/oauth/federated/callback")]
    assert next(iter(merged["paths"]["/oauth/federated/callback"]["get"]["responses"])) == "303"


def test_metrics_say_they_need_the_metrics_token(merged: dict[str, Any]) -> None:
    """Issue 18 item 3: the gateway's /metrics is not public, and its document says so."""
    metrics = merged["paths"]["/metrics"]["get"]
    assert metrics["security"] == [{"metricsToken": []}]
    assert merged["components"]["securitySchemes"]["metricsToken"]["scheme"] == "bearer"
    assert "GATEWAY_METRICS_TOKEN" in metrics["description"]


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({"components": doc["components"], "allOf": [schema]})


def test_main_flows_carry_examples_that_match_their_schemas(merged: dict[str, Any]) -> None:
    flows = {
        ("post", "/oauth/token"),  # token
        ("post", "/v1/submissions"),  # submission
        ("post", "/v1/imports"),  # import
        ("post", "/v1/actions/{action_id}/updates"),  # progress update
        ("post", "/v1/audits"),  # audit
    }
    assert flows <= set(EXAMPLES)
    checked = 0
    for (method, path), where in EXAMPLES.items():
        op = merged["paths"][path][method]
        for place, media in where.items():
            if place == "request":
                content = op["requestBody"]["content"]
            else:
                content = op["responses"][place]["content"]
            for media_type in media:
                entry = content[media_type]
                errors = list(_validator(merged, entry["schema"]).iter_errors(entry["example"]))
                assert errors == [], (method, path, place, [e.message for e in errors])
                checked += 1
    assert checked >= 10


def test_problem_schema_types_its_errors_and_the_submission_row_report(
    merged: dict[str, Any],
) -> None:
    schemas = merged["components"]["schemas"]
    problem = schemas["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    errors = problem["properties"]["errors"]
    items = next(v["items"] for v in errors["anyOf"] if v.get("type") == "array")
    field_error = resolve(merged, items["$ref"])
    assert {"field", "in", "message"} <= set(field_error["required"])
    # a rejected batch: the 422 answer is a problem with its row report
    rejected_doc = merged["paths"]["/v1/submissions"]["post"]["responses"]["422"]
    either = rejected_doc["content"]["application/problem+json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/Problem"} in either  # or invalid input
    rejected = resolve(merged, either[0]["$ref"])
    assert {"type", "title", "status", "rows", "outcome", "rejected"} <= set(rejected["required"])
    row = resolve(merged, rejected["properties"]["rows"]["items"]["$ref"])
    assert {"row", "status"} <= set(row["required"])
    assert "reasons" in row["properties"]
    # the problem a validation error really sends fits the schema
    sent = {
        "type": "https://improvement-platform.example/problems/validation-error",
        "title": "Request validation failed",
        "status": 422,
        "errors": [{"field": "rows.0.value", "in": "body", "message": "bad", "code": "x"}],
        "request_id": "6f1c2a4e-8b0d-4c3e-9a57-2d8e1f0b3c4a",
    }
    assert (
        list(_validator(merged, {"$ref": "#/components/schemas/Problem"}).iter_errors(sent)) == []
    )
    bad = sent | {"errors": [{"field": "rows.0.value"}]}
    assert list(_validator(merged, {"$ref": "#/components/schemas/Problem"}).iter_errors(bad))
