"""The service side of the benchmark: the foundation's app skeleton (request ids, metrics,
problem handlers, security headers, internal-token verification) with one small GET route,
so the direct figure is a real service's cost, not a bare Starlette endpoint."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from shared.app import build_app
from shared.config import ServiceSettings
from shared.identity import CallerDep

router = APIRouter()


@router.get("/v1/actions")
async def list_actions(caller: CallerDep) -> dict[str, object]:
    return {"items": [{"ref": "1A1", "title": "Audit of practice", "rag": "amber"}], "total": 1}


class UpstreamSettings(ServiceSettings):
    service_name: str = "actions"


def app_factory() -> FastAPI:
    import os

    return build_app(
        UpstreamSettings(
            internal_jwt_public_key=os.environ["BENCH_INTERNAL_JWT_PUBLIC_KEY"],  # type: ignore[arg-type]
            log_level=os.environ.get("BENCH_LOG_LEVEL", "INFO"),
            log_json=True,
        ),
        title="bench upstream",
        description="one route",
        routers=[router],
        use_database=False,
    )
