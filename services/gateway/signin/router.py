"""Browser sign-in: the authorization endpoint (the sign-in page and its form) and the
return from an agency's provider. Codes are redeemed and sessions refreshed at
``POST /oauth/token`` (``services/gateway/tokens/router.py``)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from services.gateway.deps import AuthRateLimit
from services.gateway.signin import service
from services.gateway.signin.page import sign_in_page
from services.gateway.users.schemas import LoginRequest
from services.gateway.users.service import FAILED_DETAIL
from shared.db import SessionDep
from shared.http import create_http_client
from shared.problems import DomainError, invalid

router = APIRouter(tags=["sign-in"])

Text = Annotated[str | None, Query(max_length=2000)]
SINGLE = ("response_type", "client_id", "redirect_uri", "state", "code_challenge")

SIGN_IN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": [
                        "response_type",
                        "client_id",
                        "redirect_uri",
                        "state",
                        "code_challenge",
                        "code_challenge_method",
                        "username",
                        "password",
                    ],
                    "properties": {
                        "response_type": {"type": "string", "enum": ["code"]},
                        "client_id": {"type": "string", "maxLength": 64},
                        "redirect_uri": {"type": "string", "maxLength": 2000},
                        "state": {"type": "string", "maxLength": 500},
                        "code_challenge": {"type": "string", "minLength": 43, "maxLength": 43},
                        "code_challenge_method": {"type": "string", "enum": ["S256"]},
                        "username": {"type": "string", "maxLength": 80},
                        "password": {"type": "string", "maxLength": 128, "format": "password"},
                        "totp": {"type": "string", "maxLength": 8},
                    },
                }
            }
        },
    }
}
HTML_PAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the sign-in page (HTML form)",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
    303: {"description": "on to the client's redirect URI (code, state, iss) or the provider"},
}


def _param(values: QueryParams | FormData, where: str) -> service.Param:
    def get(name: str) -> str | None:
        found = values.getlist(name)
        if len(found) > 1:
            raise invalid(name, "given more than once", "repeated", where)
        value = found[0] if found else None
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            raise invalid(name, "too long or not text", "invalid", where)
        return value

    return get


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Referrer-Policy": "no-referrer"})


def idp_http(app: FastAPI) -> httpx.AsyncClient:
    """The client calling agencies' providers (made on first use, closed at shutdown)."""
    http: httpx.AsyncClient | None = getattr(app.state, "idp_client", None)
    if http is None:
        http = create_http_client(timeout_s=5.0, connect_timeout_s=2.0, max_connections=20)
        app.state.idp_client = http
    return http


@router.get(
    "/oauth/authorize",
    summary="Start a browser sign-in (authorization code with PKCE)",
    response_class=HTMLResponse,
    response_model=None,
    responses=HTML_PAGE,
    dependencies=[AuthRateLimit],
)
async def show_sign_in(
    request: Request,
    session: SessionDep,
    response_type: Text = None,
    client_id: Text = None,
    redirect_uri: Text = None,
    state: Text = None,
    code_challenge: Text = None,
    code_challenge_method: Text = None,
    idp: Text = None,
) -> HTMLResponse | RedirectResponse:
    """OAuth 2.1 authorization endpoint for the front ends registered in
    `GATEWAY_BROWSER_CLIENTS`: `response_type=code`, the client's `client_id`, a
    `redirect_uri` it registered (matched exactly), a `state`, and the PKCE
    `code_challenge` with `code_challenge_method=S256`. Answers the sign-in page (local
    accounts: username, password and, where the account has one, a TOTP code), or with
    `idp=<name>` sends the person straight to that agency's own OpenID Connect provider. A
    request that fails a check is a 422 problem naming the parameter and is never
    redirected."""
    auth = service.check_request(
        request.app.state.settings, _param(request.query_params, "query"), "query"
    )
    if auth.provider is not None:
        return _redirect(await service.start_federated(session, request.app.state.settings, auth))
    return sign_in_page(request.app.state.settings, auth)


@router.post(
    "/oauth/authorize",
    summary="Sign in with a local account; on to the client with a code",
    response_class=HTMLResponse,
    response_model=None,
    openapi_extra=SIGN_IN_FORM,
    responses=HTML_PAGE
    | {
        401: {
            "description": "the page again: sign-in failed",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
    dependencies=[AuthRateLimit],
)
async def sign_in(request: Request, session: SessionDep) -> HTMLResponse | RedirectResponse:
    """The sign-in page's form: the authorization request's parameters again with the
    username, password and TOTP code. A right answer is a 303 to the client's redirect URI
    with `code`, `state` and `iss`; a wrong one shows the page again (401) with the one
    message every failed login gets (no enumeration, the lockout of `/v1/auth/login`)."""
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise invalid("body", "must be application/x-www-form-urlencoded", "content-type")
    form = await request.form(max_files=0, max_fields=20, max_part_size=16_384)
    param = _param(form, "body")
    auth = service.check_request(settings, param, "body")
    try:
        login = LoginRequest(
            username=param("username") or "",
            password=param("password") or "",
            totp=param("totp") or None,
        )
    except ValidationError:
        return sign_in_page(settings, auth, FAILED_DETAIL, 401)
    result = await service.sign_in(session, settings, auth, login, request.app.state.hasher)
    if isinstance(result, DomainError):
        return sign_in_page(settings, auth, FAILED_DETAIL, result.status)
    return _redirect(result)


@router.get(
    "/oauth/federated/callback",
    status_code=303,
    summary="Return from an agency's identity provider",
    responses={303: {"description": "on to the client's redirect URI (code, or an error)"}},
    response_class=RedirectResponse,
    dependencies=[AuthRateLimit],
)
async def federated_callback(
    request: Request,
    session: SessionDep,
    state: Text = None,
    code: Text = None,
    error: Text = None,
) -> RedirectResponse:
    """Where an agency's OpenID Connect provider sends the person back. The gateway redeems
    the provider's code with its own PKCE verifier, checks the ID token (signature from the
    provider's JWKS, issuer, audience, nonce, expiry), maps the agency and roles, and sends
    the person on to the browser client with a code of its own — or with
    `error=access_denied` when the provider did not sign them in."""
    url = await service.finish_federated(
        session,
        request.app.state.settings,
        idp_http(request.app),
        _param(request.query_params, "query"),
    )
    return _redirect(url)
