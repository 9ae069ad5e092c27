"""`/v1/auth`: log in for a session token, log out (end that session).

Both call `core.accounts.auth`: failures count toward the lockout there, and a wrong or
missing TOTP code is core's `SecondFactorRequired` (a 401 whose `type` ends in
`second_factor_required`).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.contract import Call, Operation
from core.accounts import auth


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str = msgspec.field()
    password: str = msgspec.field()
    totp: str | None = None


class LoginResponse(msgspec.Struct):
    token: str
    token_type: str
    expires_at: datetime
    username: str


def _login(call: Call) -> LoginResponse:
    body: LoginRequest = call.body
    result = auth.login(
        call.app, body.username, body.password, body.totp, source=f"api {call.client}"
    )
    issued = result.session_token
    return LoginResponse(issued.token, "Bearer", issued.expires_at, result.actor.label)


def _logout(call: Call) -> None:
    assert call.actor is not None
    auth.logout(call.app, call.actor)


OPERATIONS = (
    Operation(
        "POST",
        "/v1/auth/login",
        "Log in with user name and password (and TOTP code) for a bearer session token",
        _login,
        LoginResponse,
        request=LoginRequest,
        authenticated=False,
        errors=(401,),
        tags=("auth",),
    ),
    Operation(
        "POST",
        "/v1/auth/logout",
        "End the login session of this request (effective on the next request); a "
        "personal API token is refused (409): revoke it with DELETE /v1/tokens/{id}",
        _logout,
        None,
        status=204,
        errors=(409,),
        tags=("auth",),
    ),
)
