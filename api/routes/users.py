"""`/v1/users`, `/v1/roles`, `/v1/tokens`: the org's sub-accounts, their roles, and
personal API tokens.

Users and roles need `user.manage`; core also refuses to hand out permissions the
caller lacks and to act on a user who outranks the caller (403), and to leave the org
without a manager (409). Disabling a user ends their sessions and tokens at once.

Tokens: everyone lists and revokes their own (with `user.manage`, the org's); a new
token's secret is in the answer to its creation only, never again. A revoked token
fails from the next request on. Logging out (`/v1/auth/logout`) ends a login session
only: a personal API token is revoked here, by its id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import msgspec

from api.contract import Call, Operation, Reply
from core.accounts import auth, roles, users
from core.accounts.auth import TokenInfo
from core.accounts.tokens import IssuedToken

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RoleName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Permission = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class UserView(msgspec.Struct):
    id: int
    username: str
    display_name: str
    status: str  # active, disabled, pending_verification
    roles: list[str]
    totp_enabled: bool
    locked_until: datetime | None
    created_at: datetime


class UserList(msgspec.Struct):
    items: list[UserView]
    next_cursor: str | None = None


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    display_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    contact: Annotated[str, msgspec.Meta(max_length=255)] = ""  # where one-time codes go
    roles: Annotated[list[RoleName], msgspec.Meta(max_length=50)] = []


class RoleGrant(msgspec.Struct, forbid_unknown_fields=True):
    role: RoleName  # a role's name, or a built-in key such as `warehouse`


class RoleView(msgspec.Struct):
    id: int
    name: str
    description: str
    builtin_key: str | None  # built-in roles cannot be changed
    permissions: list[str]


class RoleList(msgspec.Struct):
    items: list[RoleView]
    next_cursor: str | None = None


class NewRole(msgspec.Struct, forbid_unknown_fields=True):
    name: RoleName
    permissions: Annotated[list[Permission], msgspec.Meta(max_length=100)] = []
    based_on: RoleName | None = None  # start from this role's permissions
    description: Annotated[str, msgspec.Meta(max_length=255)] = ""


class TokenList(msgspec.Struct):
    items: list[TokenInfo]
    next_cursor: str | None = None


class TokenQuery(msgspec.Struct, forbid_unknown_fields=True):
    user: Username | None = None  # one user's tokens (another's: user.manage)


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # what will use it
    days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None  # default: settings
    username: Username | None = None  # for another user (user.manage)


def _user(user: Any) -> UserView:  # a core.models.User
    return UserView(
        user.id,
        user.username,
        user.display_name,
        user.status,
        [r.name for r in user.roles],
        user.totp_enabled,
        user.locked_until,
        user.created_at,
    )


def _role(role: Any) -> RoleView:  # a core.models.Role
    return RoleView(
        role.id, role.name, role.description, role.builtin_key, sorted(role.permissions)
    )


def _list_users(call: Call) -> UserList:
    assert call.actor is not None
    return UserList([_user(u) for u in users.list_users(call.app, call.actor)])


def _add_user(call: Call) -> Reply:
    body: NewUser = call.body
    assert call.actor is not None
    user = users.add_user(
        call.app,
        call.actor,
        body.username,
        body.password,
        display_name=body.display_name,
        contact=body.contact,
        roles=tuple(body.roles),
    )
    return Reply(_user(user), headers={"Location": f"/v1/users/{quote(user.username, safe='')}"})


def _disable_user(call: Call) -> UserView:
    assert call.actor is not None
    return _user(users.set_user_enabled(call.app, call.actor, call.path["username"], False))


def _enable_user(call: Call) -> UserView:
    assert call.actor is not None
    return _user(users.set_user_enabled(call.app, call.actor, call.path["username"], True))


def _give_role(call: Call) -> None:
    body: RoleGrant = call.body
    assert call.actor is not None
    roles.assign(call.app, call.actor, call.path["username"], body.role)


def _take_role(call: Call) -> None:
    assert call.actor is not None
    roles.unassign(call.app, call.actor, call.path["username"], call.path["role"])


def _list_roles(call: Call) -> RoleList:
    assert call.actor is not None
    return RoleList([_role(r) for r in roles.list_roles(call.app, call.actor)])


def _create_role(call: Call) -> Reply:
    body: NewRole = call.body
    assert call.actor is not None
    role = roles.create_role(
        call.app,
        call.actor,
        body.name,
        tuple(body.permissions),
        based_on=body.based_on,
        description=body.description,
    )
    return Reply(_role(role), headers={"Location": f"/v1/roles/{quote(role.name, safe='')}"})


def _list_tokens(call: Call) -> TokenList:
    assert call.actor is not None
    return TokenList(auth.list_tokens(call.app, call.actor, username=call.query.user))


def _create_token(call: Call) -> IssuedToken:
    body: NewToken = call.body
    assert call.actor is not None
    return auth.create_api_token(
        call.app, call.actor, body.name, username=body.username, days=body.days
    )


def _revoke_token(call: Call) -> None:
    assert call.actor is not None
    auth.revoke_token(call.app, call.actor, call.path["id"])  # a RecordId (api.contract)


OPERATIONS = (
    Operation(
        "GET",
        "/v1/users",
        "The org's users with their roles and state",
        _list_users,
        UserList,
        permission="user.manage",
        tags=("users",),
    ),
    Operation(
        "POST",
        "/v1/users",
        "Add a user (sub-account) with roles the caller holds the permissions of",
        _add_user,
        UserView,
        request=NewUser,
        permission="user.manage",
        status=201,
        errors=(404, 409),
        tags=("users",),
    ),
    Operation(
        "POST",
        "/v1/users/{username}/disable",
        "Disable a user: every session and token of theirs ends at once",
        _disable_user,
        UserView,
        permission="user.manage",
        errors=(404, 409),
        tags=("users",),
    ),
    Operation(
        "POST",
        "/v1/users/{username}/enable",
        "Enable a disabled user again",
        _enable_user,
        UserView,
        permission="user.manage",
        errors=(404,),
        tags=("users",),
    ),
    Operation(
        "POST",
        "/v1/users/{username}/roles",
        "Give a user a role (effective on their next request)",
        _give_role,
        None,
        request=RoleGrant,
        permission="user.manage",
        status=204,
        errors=(404, 409),
        tags=("users",),
    ),
    Operation(
        "DELETE",
        "/v1/users/{username}/roles/{role}",
        "Take a role from a user",
        _take_role,
        None,
        permission="user.manage",
        status=204,
        errors=(404, 409),
        tags=("users",),
    ),
    Operation(
        "GET",
        "/v1/roles",
        "The org's roles (built-in and custom) with their permissions",
        _list_roles,
        RoleList,
        permission="user.manage",
        tags=("users",),
    ),
    Operation(
        "POST",
        "/v1/roles",
        "Create a custom role from permissions (and/or based on another role)",
        _create_role,
        RoleView,
        request=NewRole,
        permission="user.manage",
        status=201,
        errors=(404, 409),
        tags=("users",),
    ),
    Operation(
        "GET",
        "/v1/tokens",
        "API and session tokens (never their secrets): your own, or the org's with user.manage",
        _list_tokens,
        TokenList,
        query=TokenQuery,
        errors=(404,),
        tags=("tokens",),
    ),
    Operation(
        "POST",
        "/v1/tokens",
        "Create a personal API token; its secret is in this answer only",
        _create_token,
        IssuedToken,
        request=NewToken,
        status=201,
        errors=(404,),
        tags=("tokens",),
    ),
    Operation(
        "DELETE",
        "/v1/tokens/{id}",
        "Revoke a token (yours, or with user.manage anyone's): it fails from the next request",
        _revoke_token,
        None,
        status=204,
        errors=(404, 409),
        tags=("tokens",),
    ),
)
