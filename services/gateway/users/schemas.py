"""People: login, refresh, logout and account administration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

USERNAME = r"^[a-z0-9][a-z0-9._@-]{1,79}$"


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=128)
    totp: str | None = Field(None, min_length=6, max_length=8, pattern=r"^[0-9]+$")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=20, max_length=200)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    scope: str = ""


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME, max_length=80)
    agency: str = Field(min_length=2, max_length=20, pattern=r"^[a-z][a-z0-9-]*$")
    roles: list[str] = Field(min_length=1, max_length=6)
    password: str = Field(min_length=1, max_length=128)


class UserRead(BaseModel):
    username: str
    agency: str
    roles: list[str]
    totp_enabled: bool
    locked_until: datetime | None
    disabled_at: datetime | None
    created_at: datetime


class UserCreated(UserRead):
    totp_secret: str | None = Field(None, description="shown once (admins must use TOTP)")
    totp_uri: str | None = None


class MeRead(BaseModel):
    subject: str
    agency: str
    kind: str
    roles: list[str]
    scopes: list[str]
    client_id: str | None
