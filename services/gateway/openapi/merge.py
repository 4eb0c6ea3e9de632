"""The merged OpenAPI document at ``GET /openapi.json``: the gateway's own routes and every
service's ``/v1`` routes, with the OAuth2 client-credentials and bearer security schemes.

Each service's document is fetched from ``<service>/openapi.json`` on first use and cached
for ``openapi_cache_s``; a service that does not answer keeps its last good document (or is
listed under ``x-unavailable-services``). Operation ids are made unique by prefixing the
service name; schema names that clash are prefixed too (references rewritten).

The document is a contract generators accept (issue 18): every reference resolves (nested
``$defs`` hoisted), operation ids read as a person would name them (``listActions``), every
operation and tag is described (the description ends with what the caller must hold),
``servers`` names the gateway's own address, public operations say ``security: []``, the
main flows carry examples, and schemas nothing references are dropped. ``/metrics`` is
opened by the metrics token only. ``redocly.yaml`` and ``tests/contract`` hold it to that.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from services.gateway import policy
from services.gateway.config import GatewaySettings
from services.gateway.openapi import examples
from services.gateway.openapi.contract import NAMES, TAGS, needs
from services.gateway.routing.table import owner_of
from services.gateway.scrape import METRICS_SCHEME
from shared.logs import get_logger
from shared.openapi import hoist_defs

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REF = "#/components/schemas/"
#: Operations opened by a credential of their own, not an access token and the policy.
OWN_SCHEME = {"/metrics": METRICS_SCHEME}
METRICS_NEEDS = (
    "Needs the metrics token (`GATEWAY_METRICS_TOKEN`) as a bearer token: for Prometheus; "
    "an access token does not open it."
)
log = get_logger("gateway.openapi")


def security_schemes(scopes: dict[str, str]) -> dict[str, Any]:
    return {
        "oauth2": {
            "type": "oauth2",
            "description": "partner systems: client credentials (secret or private_key_jwt)",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes}},
        },
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "access token from /oauth/token or /v1/auth/login",
        },
        METRICS_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "GATEWAY_METRICS_TOKEN, for Prometheus (not an access token)",
        },
    }


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF):
                name = value[len(REF) :]
                out[key] = REF + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, renames) for v in node]
    return node


def _secure(operation: dict[str, Any], method: str, path: str) -> None:
    if path in OWN_SCHEME:
        _describe(operation, METRICS_NEEDS)
        operation["security"] = [{OWN_SCHEME[path]: []}]
        return
    concrete = "/".join("x1" if p.startswith("{") else p for p in path.split("/"))
    permission = policy.required_permission(method.upper(), concrete)
    _describe(operation, needs(permission))
    if permission == policy.PUBLIC:
        operation["security"] = []
        return
    if permission in (None, policy.AUTHENTICATED):
        granting: list[list[str]] = [[]]
    else:  # each scope that grants the permission is one way in (finer ones have no scope)
        scopes = sorted(s for s in policy.SCOPES if permission in policy.SCOPE_PERMISSIONS[s])
        granting = [[s] for s in scopes] or [[]]
    operation["security"] = [*({"oauth2": g} for g in granting), {"bearer": []}]
    if permission not in (None, policy.AUTHENTICATED):
        operation.setdefault("x-required-permission", permission)


def _describe(operation: dict[str, Any], needed: str) -> None:
    """The endpoint's docstring (if any), then what the caller must hold."""
    text = (operation.get("description") or "").strip()
    if needed not in text:
        text = f"{text}\n\n{needed}".strip()
    operation["description"] = text


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF):
                found.add(value[len(REF) :])
            else:
                _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def _drop_unused_schemas(doc: dict[str, Any]) -> None:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    outside = {k: v for k, v in doc.items() if k != "components"}
    outside["components"] = {k: v for k, v in doc["components"].items() if k != "schemas"}
    used: set[str] = set()
    _referenced(outside, used)
    todo = list(used)
    while todo:
        found: set[str] = set()
        _referenced(schemas.get(todo.pop(), {}), found)
        todo.extend(found - used)
        used |= found
    for name in set(schemas) - used:
        del schemas[name]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def merge(
    gateway: dict[str, Any], services: dict[str, dict[str, Any]], server_url: str | None = None
) -> dict[str, Any]:
    doc = hoist_defs(copy.deepcopy(gateway))
    schemas: dict[str, Any] = doc["components"].setdefault("schemas", {})
    op_ids = {
        op.get("operationId")
        for item in doc["paths"].values()
        for m, op in item.items()
        if m in METHODS
    }
    for service, source in sorted(services.items()):
        source = hoist_defs(copy.deepcopy(source))
        renames: dict[str, str] = {}
        for name, schema in source.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                renames[name] = service.capitalize() + name
        source = _rename_refs(source, renames)
        for name, schema in source.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(renames.get(name, name), schema)
        for path, item in source.get("paths", {}).items():
            if not path.startswith("/v1/") or owner_of(path) != service or path in doc["paths"]:
                continue
            for method, op in item.items():
                if method not in METHODS:
                    continue
                op_id = op.get("operationId") or f"{method}_{path}"
                if op_id in op_ids:
                    op_id = service + op_id[:1].upper() + op_id[1:]
                op["operationId"] = op_id
                op_ids.add(op_id)
                op.setdefault("tags", [service])
            doc["paths"][path] = item
    names = {op.get("operationId") for _, _, op in _operations(doc)}
    used_tags: set[str] = set()
    for path, method, op in _operations(doc):
        _secure(op, method, path)
        wanted = NAMES.get(op.get("operationId", ""))
        if wanted is not None and wanted not in names:
            op["operationId"] = wanted
        used_tags.update(op.get("tags", []))
    doc["tags"] = [
        {"name": tag, **({"description": TAGS[tag]} if tag in TAGS else {})}
        for tag in sorted(used_tags)
    ]
    if server_url:
        doc["servers"] = [{"url": server_url.rstrip("/"), "description": "this gateway"}]
    examples.attach(doc)
    scopes = {s: s for s in sorted(policy.SCOPES)}
    doc["components"]["securitySchemes"] = security_schemes(scopes)
    _drop_unused_schemas(doc)
    return doc


class MergedOpenAPI:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._docs: dict[str, dict[str, Any]] = {}
        self._fetched_at = -1e9
        self._merged: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, client: httpx.AsyncClient, name: str, url: str) -> None:
        try:
            response = await client.get(url.rstrip("/") + "/openapi.json", timeout=5.0)
            response.raise_for_status()
            self._docs[name] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("openapi.fetch_failed", upstream=name, error_type=type(exc).__name__)

    async def document(self) -> dict[str, Any]:
        settings: GatewaySettings = self.app.state.settings
        async with self._lock:
            if self._merged is None or time.monotonic() - self._fetched_at > (
                settings.openapi_cache_s
            ):
                client = self.app.state.upstream_client
                await asyncio.gather(
                    *(self._fetch(client, n, u) for n, u in settings.upstreams().items())
                )
                self._fetched_at = time.monotonic()
                merged = merge(self.app.openapi(), self._docs, settings.issuer)
                missing = sorted(set(settings.upstreams()) - set(self._docs))
                if missing:
                    merged["x-unavailable-services"] = missing
                    self._fetched_at -= settings.openapi_cache_s  # try again next time
                self._merged = merged
            return self._merged


def install_merged_openapi(app: FastAPI) -> None:
    merged = MergedOpenAPI(app)
    app.state.merged_openapi = merged

    async def openapi_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(await merged.document())

    for index, route in enumerate(app.router.routes):
        if isinstance(route, Route) and route.path == app.openapi_url:
            app.router.routes[index] = Route(
                route.path, openapi_endpoint, methods=["GET"], include_in_schema=False
            )
