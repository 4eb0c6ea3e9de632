"""People: login, refresh, logout; account administration (council admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from services.gateway.deps import AdminDep, AuthRateLimit, HasherDep, PrincipalDep
from services.gateway.users import service
from services.gateway.users.schemas import (
    LoginRequest,
    MeRead,
    PasswordChange,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserCreated,
    UserRead,
)
from shared.db import SessionDep
from shared.pagination import Page, PageDep, SortKey, sort_query
from shared.problems import DomainError, problem_response

router = APIRouter(tags=["people"])


def _refusal(request: Request, error: DomainError) -> JSONResponse:
    return problem_response(
        error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        instance=request.url.path,
        extensions=error.extensions,
        headers=error.headers,
    )


@router.post(
    "/v1/auth/login",
    summary="Log in with username, password (and TOTP code where the account has one)",
    response_model=TokenPair,
    dependencies=[AuthRateLimit],
)
async def login(
    data: LoginRequest, request: Request, session: SessionDep
) -> TokenPair | JSONResponse:
    state = request.app.state
    result = await service.login(session, data, state.settings, state.keyring, state.hasher)
    return _refusal(request, result) if isinstance(result, DomainError) else result


@router.post(
    "/v1/auth/refresh",
    summary="Exchange a refresh token for new tokens (each refresh token works once)",
    response_model=TokenPair,
    dependencies=[AuthRateLimit],
)
async def refresh(
    data: RefreshRequest, request: Request, session: SessionDep
) -> TokenPair | JSONResponse:
    state = request.app.state
    result = await service.refresh(
        session, data.refresh_token, state.settings, state.keyring, state.denylist
    )
    return _refusal(request, result) if isinstance(result, DomainError) else result


@router.post(
    "/v1/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End the session of a refresh token",
    dependencies=[AuthRateLimit],
)
async def logout(data: RefreshRequest, request: Request, session: SessionDep) -> Response:
    await service.logout(session, data.refresh_token, request.app.state.denylist)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change one's own password (ends every other session)",
    response_model=None,
)
async def change_password(
    data: PasswordChange, request: Request, session: SessionDep, principal: PrincipalDep
) -> Response:
    state = request.app.state
    refused = await service.change_password(
        session, principal.caller, data, state.settings, state.denylist, state.hasher
    )
    if refused is not None:
        return _refusal(request, refused)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/me", summary="Who the gateway takes the caller to be")
async def me(principal: PrincipalDep) -> MeRead:
    caller = principal.caller
    return MeRead(
        subject=caller.subject,
        agency=caller.agency,
        kind=caller.kind,
        roles=sorted(caller.roles),
        scopes=sorted(caller.scopes),
        client_id=caller.client_id,
    )


@router.post("/v1/users", status_code=status.HTTP_201_CREATED, summary="Create a person's account")
async def create_user(
    data: UserCreate, session: SessionDep, admin: AdminDep, hasher: HasherDep
) -> UserCreated:
    return await service.create(session, data, admin.caller, hasher)


@router.get("/v1/users", summary="List accounts")
async def list_users(
    request: Request,
    session: SessionDep,
    admin: AdminDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.USER_SORT, "username")],
) -> Page[UserRead]:
    return await service.list_all(session, request.app.state.settings, sort, page)


@router.post("/v1/users/{username}/disable", summary="Disable an account and end its sessions")
async def disable_user(
    username: str, request: Request, session: SessionDep, admin: AdminDep
) -> UserRead:
    result = await service.disable(session, username, admin.caller, request.app.state.settings)
    request.app.state.denylist.note("user", username)
    return result


@router.post("/v1/users/{username}/unlock", summary="Lift a lockout")
async def unlock_user(
    username: str, request: Request, session: SessionDep, admin: AdminDep
) -> UserRead:
    return await service.unlock(session, username, admin.caller, request.app.state.settings)
