"""What every service's OpenAPI document gets so client generators accept it.

* Operation ids a person would name: the endpoint function's name in camelCase
  (``list_actions`` → ``listActions``), not FastAPI's ``list_actions_v1_actions_get``.
* No reference a generator cannot resolve: a pydantic schema inlined by hand (say with
  ``Model.model_json_schema()`` in ``openapi_extra``) keeps its ``#/$defs/...`` references,
  which in an OpenAPI document point at the document root. :func:`hoist_defs` moves every
  nested ``$defs`` into ``components/schemas`` and rewrites the references.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

SCHEMAS = "#/components/schemas/"
DEFS = "#/$defs/"


def camel(name: str) -> str:
    """``list_actions`` → ``listActions``; ``healthz`` stays ``healthz``."""
    head, *rest = [part for part in name.split("_") if part] or [name]
    return head[:1].lower() + head[1:] + "".join(p[:1].upper() + p[1:] for p in rest)


def operation_id(route: APIRoute) -> str:
    """FastAPI's ``generate_unique_id_function``: the endpoint function, camelCase.

    A function serving several methods gets the method as a suffix (``getThingPost``) so each
    id stays unique; two routes on one function name are a mistake FastAPI warns about.
    """
    base = camel(route.name)
    methods = sorted(route.methods or ())
    if len(methods) > 1:
        return base + "".join(m.capitalize() for m in methods)
    return base


def hoist_defs(doc: dict[str, Any]) -> dict[str, Any]:
    """Move nested ``$defs`` into ``components/schemas``; ``#/$defs/X`` → ``#/components/...``.

    A definition already in ``components/schemas`` under the same name and different content
    is kept apart as ``<Name>Def`` (references rewritten to it). Returns ``doc``, changed.
    """
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    found: dict[str, Any] = {}

    def collect(node: Any) -> Any:
        if isinstance(node, dict):
            defs = node.get("$defs")
            if isinstance(defs, dict):
                for name, schema in defs.items():
                    found.setdefault(name, collect(schema))
            return {k: collect(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [collect(v) for v in node]
        return node

    paths = collect(doc.get("paths", {}))
    components = collect(doc["components"])
    renames: dict[str, str] = {}
    schemas = components.setdefault("schemas", {})
    for name, schema in found.items():
        target = name
        if name in schemas and schemas[name] != _rewrite(schema, {}):
            target = name + "Def"
        renames[name] = target
    for name, schema in found.items():
        schemas.setdefault(renames[name], schema)
    doc["paths"] = _rewrite(paths, renames)
    doc["components"] = _rewrite(components, renames)
    return doc


def _rewrite(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(DEFS):
                name = value[len(DEFS) :]
                out[key] = SCHEMAS + renames.get(name, name)
            else:
                out[key] = _rewrite(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite(v, renames) for v in node]
    return node
