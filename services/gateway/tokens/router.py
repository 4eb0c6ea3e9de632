"""``POST /oauth/token``, the JWKS and the authorisation-server metadata (RFC 8414)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import trail
from services.gateway.deps import AuthRateLimit
from services.gateway.policy import SCOPES
from services.gateway.tokens.grant import ASSERTION_TYPE, OAuthError, client_credentials
from shared.db import SessionDep
from shared.problems import TYPE_BASE
from shared.request_id import current_request_id

router = APIRouter(tags=["oauth"])

TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string", "maxLength": 64},
                        "client_secret": {"type": "string", "maxLength": 200},
                        "client_assertion_type": {"type": "string", "enum": [ASSERTION_TYPE]},
                        "client_assertion": {"type": "string", "maxLength": 8192},
                        "scope": {"type": "string", "maxLength": 500},
                    },
                }
            }
        },
    }
}


def oauth_error(exc: OAuthError) -> JSONResponse:
    body = {
        "error": exc.error,
        "error_description": exc.description,
        "type": TYPE_BASE + "oauth-" + exc.error.replace("_", "-"),
        "title": exc.error,
        "status": exc.status,
        "request_id": current_request_id(),
    }
    headers = {"Pragma": "no-cache"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token", error="invalid_client"'
    return JSONResponse(body, status_code=exc.status, headers=headers)


@router.post(
    "/oauth/token",
    summary="Client credentials grant: an access token for a partner system",
    openapi_extra=TOKEN_FORM,
    dependencies=[AuthRateLimit],
    responses={
        200: {
            "description": "an access token",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string"},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """A partner system's credentials (client secret, or a private_key_jwt assertion) for a
    short-lived access token: form-encoded, RFC 6749 §4.4. A refusal is an OAuth 2.0 error
    object (`error`, `error_description`) that is also a problem document.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
                "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        form = await request.form(max_files=0, max_fields=20, max_part_size=16_384)
        body = await client_credentials(
            session,
            form,
            request.headers.get("authorization"),
            request.app.state.settings,
            request.app.state.keyring,
        )
    except OAuthError as exc:
        if exc.error == "invalid_client":
            await _refused(request, session)
        return oauth_error(exc)
    return JSONResponse(body, headers={"Pragma": "no-cache"})


async def _refused(request: Request, session: AsyncSession) -> None:
    await session.rollback()
    await trail.record_alone(
        request.app.state.sessionmaker,
        "token.refused",
        entity_type="client",
        entity_id="unknown",
        payload={"reason": "client authentication failed"},
    )


@router.get("/.well-known/jwks.json", summary="Public keys verifying our access tokens")
async def jwks(request: Request) -> dict[str, Any]:
    keys = await request.app.state.keyring.current()
    return {"keys": keys.jwks}


@router.get(
    "/.well-known/oauth-authorization-server", summary="Authorisation server metadata (RFC 8414)"
)
async def metadata(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    base = settings.issuer.rstrip("/")
    return {
        "issuer": settings.issuer,
        "token_endpoint": base + "/oauth/token",
        "jwks_uri": base + "/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
        "scopes_supported": sorted(SCOPES),
    }
