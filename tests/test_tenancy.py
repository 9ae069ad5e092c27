"""Tenant isolation: org A can neither read nor change org B's rows (not found, no leak)."""

from __future__ import annotations

import pytest

from core.accounts import auth, roles, users
from core.errors import NotFound
from tests.conftest import ADMIN_PASSWORD


def test_users_roles_and_tokens_of_another_org_are_not_found(app, acme, globex) -> None:
    globex.staff("hank-clerk", "print_operator")
    hank_token = auth.create_api_token(app, globex.admin, "hank-script")
    roles.create_role(app, globex.admin, "globex-only", ("order.view",))

    assert {u.username for u in users.list_users(app, acme.admin)} == {"boss"}
    assert "globex-only" not in {r.name for r in roles.list_roles(app, acme.admin)}
    assert all(t.org_id == acme.org_id for t in auth.list_tokens(app, acme.admin))

    attempts = [
        lambda: users.set_user_enabled(app, acme.admin, "hank-clerk", enabled=False),
        lambda: users.admin_reset_password(app, acme.admin, "hank", "Another-Good-Pass-7"),
        lambda: users.unlock_user(app, acme.admin, "hank"),
        lambda: roles.assign(app, acme.admin, "hank", "管理员"),
        lambda: roles.assign(app, acme.admin, "boss", "globex-only"),
        lambda: roles.grant(app, acme.admin, "globex-only", "pii.view"),
        lambda: roles.delete_role(app, acme.admin, "globex-only"),
        lambda: auth.revoke_token(app, acme.admin, hank_token.id),
        lambda: auth.create_api_token(app, acme.admin, "steal", username="hank"),
        lambda: auth.disable_totp(app, acme.admin, "hank"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as info:
            attempt()
        # Exactly what a name that exists nowhere would get: nothing hints at the other org.
        assert str(info.value).startswith("no "), info.value

    # Nothing changed on globex's side.
    assert auth.authenticate(app, hank_token.token).org_id == globex.org_id
    auth.login(app, "hank", ADMIN_PASSWORD)


def test_the_system_actor_is_bound_to_its_org_too(app, acme, globex) -> None:
    with pytest.raises(NotFound):
        users.unlock_user(app, acme.system, "hank")
    assert {u.username for u in users.list_users(app, globex.system)} == {"hank"}


def test_user_names_are_unique_across_orgs(app, acme, globex) -> None:
    from core.errors import Conflict

    with pytest.raises(Conflict, match="taken"):
        users.add_user(app, globex.admin, "boss", ADMIN_PASSWORD)
