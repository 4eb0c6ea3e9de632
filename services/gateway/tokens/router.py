"""``POST /oauth/token``, the JWKS and the authorisation-server metadata (RFC 8414)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import trail
from services.gateway.deps import AuthRateLimit
from services.gateway.edges import CSRF_HEADER, TOKEN_PATH
from services.gateway.policy import SCOPES
from services.gateway.signin import service as signin
from services.gateway.tokens.grant import ASSERTION_TYPE, OAuthError, client_credentials, field
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
                        "grant_type": {
                            "type": "string",
                            "enum": ["client_credentials", "authorization_code", "refresh_token"],
                        },
                        "client_id": {"type": "string", "maxLength": 64},
                        "code": {"type": "string", "maxLength": 200},
                        "redirect_uri": {"type": "string", "maxLength": 2000},
                        "code_verifier": {"type": "string", "minLength": 43, "maxLength": 128},
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


REVOKE_PATH = TOKEN_PATH + "/revoke"
REVOKE_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["client_id"],
                    "properties": {"client_id": {"type": "string", "maxLength": 64}},
                }
            }
        },
    }
}
#: The browser session's refresh token: script cannot read it, it goes to the token endpoint
#: only, over TLS, and never with a request another site started.
REFRESH_COOKIE = "__Secure-platform-refresh"


def _with_cookie(body: dict[str, Any], refresh: str, max_age: int) -> JSONResponse:
    response = JSONResponse(body, headers={"Pragma": "no-cache"})
    response.set_cookie(
        REFRESH_COOKIE,
        refresh,
        max_age=max_age,
        path=TOKEN_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


def _without_cookie(response: JSONResponse) -> JSONResponse:
    response.delete_cookie(
        REFRESH_COOKIE, path=TOKEN_PATH, secure=True, httponly=True, samesite="strict"
    )
    return response


async def _browser_grant(request: Request, session: AsyncSession, form: Any) -> JSONResponse:
    """``authorization_code`` and ``refresh_token`` for browser clients (``signin``)."""
    state = request.app.state

    def param(name: str) -> str | None:
        return field(form, name)

    if field(form, "grant_type") == "authorization_code":
        issued = await signin.redeem_code(
            session, state.settings, state.keyring, state.denylist, param
        )
    else:
        try:
            issued = await signin.refresh_by_cookie(
                session,
                state.settings,
                state.keyring,
                state.denylist,
                param,
                cookie=request.cookies.get(REFRESH_COOKIE),
                origin=request.headers.get("origin"),
                csrf=request.headers.get(CSRF_HEADER),
            )
        except OAuthError as exc:
            if exc.error == "invalid_grant":  # a dead session's cookie is cleared
                return _without_cookie(oauth_error(exc))
            raise
    return _with_cookie(issued.body, issued.refresh_token, state.settings.refresh_token_ttl_s)


@router.post(
    "/oauth/token",
    summary="Token endpoint: client credentials, a browser's code, or a cookie refresh",
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
    short-lived access token: form-encoded, RFC 6749 §4.4. A browser client (public, PKCE)
    redeems its code here (`grant_type=authorization_code`, `client_id`, `code`,
    `redirect_uri`, `code_verifier`) and refreshes (`grant_type=refresh_token`,
    `client_id`; the refresh token is the `__Secure-platform-refresh` cookie, never in the
    body; the request needs the client's `Origin` and `X-Platform-CSRF: 1`); both answer
    the access token in the body and set the rotated refresh cookie (`HttpOnly; Secure;
    SameSite=Strict; Path=/oauth/token`). A refusal is an OAuth 2.0 error object
    (`error`, `error_description`) that is also a problem document.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
                "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        form = await request.form(max_files=0, max_fields=20, max_part_size=16_384)
        if field(form, "grant_type") in ("authorization_code", "refresh_token"):
            return await _browser_grant(request, session, form)
        body = await client_credentials(
            session,
            form,
            request.headers.get("authorization"),
            request.app.state.settings,
            request.app.state.keyring,
            request.app.state.hasher,
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


@router.post(
    REVOKE_PATH,
    summary="Sign a browser session out (its refresh cookie)",
    openapi_extra=REVOKE_FORM,
    dependencies=[AuthRateLimit],
    responses={
        200: {"description": "the session is over (or there was none); the cookie is cleared"}
    },
)
async def revoke_session(request: Request, session: SessionDep) -> JSONResponse:
    """A browser client signs the person out: `client_id` in the form, the refresh token in
    the `__Secure-platform-refresh` cookie (sent here too: the cookie's path is
    `/oauth/token`), the client's `Origin` and `X-Platform-CSRF: 1`. The session's refresh
    tokens are revoked and its access tokens refused at once; the cookie is cleared. An
    unknown or expired cookie is no error (RFC 7009 §2.2)."""
    state = request.app.state
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
                "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        form = await request.form(max_files=0, max_fields=20, max_part_size=16_384)

        def param(name: str) -> str | None:
            return field(form, name)

        await signin.sign_out(
            session,
            state.settings,
            state.denylist,
            param,
            cookie=request.cookies.get(REFRESH_COOKIE),
            origin=request.headers.get("origin"),
            csrf=request.headers.get(CSRF_HEADER),
        )
    except OAuthError as exc:
        return oauth_error(exc)
    return _without_cookie(JSONResponse({}, headers={"Pragma": "no-cache"}))


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
        "authorization_endpoint": base + "/oauth/authorize",
        "token_endpoint": base + "/oauth/token",
        "revocation_endpoint": base + REVOKE_PATH,
        "jwks_uri": base + "/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
        "scopes_supported": sorted(SCOPES),
    }
