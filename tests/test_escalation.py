"""No privilege escalation through user management, on both backends.

user.manage lets a user manage users and roles, but only within what they hold
themselves: they can give or take away only permissions they have, and act on another
user's account only if they hold every permission that user holds. Otherwise a
"team lead" with user.manage could give themselves 管理员, or reset the admin's password
(or make an API token for the admin) and sign in as them.
"""

from __future__ import annotations

import pytest

from core.accounts import auth, authz, roles, users
from core.errors import PermissionDenied
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def lead(app, acme):
    """wang: user.manage plus the print operator's permissions, but not settings.manage etc."""
    roles.create_role(app, acme.admin, "组长", ("user.manage",), based_on="打单员")
    acme.staff("clerk", "打单员")
    return acme.staff("wang", "组长")


def _perms(app, actor) -> frozenset[str]:
    with app.tx() as s:
        return authz.permissions_of(s, actor)


def test_a_user_manager_cannot_give_a_role_with_permissions_they_lack(app, acme, lead) -> None:
    with pytest.raises(
        PermissionDenied, match=r"wang cannot give role 管理员 to wang.*settings\.manage"
    ):
        roles.assign(app, lead, "wang", "管理员")
    with pytest.raises(PermissionDenied, match=r"pii\.view"):
        roles.assign(app, lead, "clerk", "admin")
    with pytest.raises(PermissionDenied, match=r"finance\.view"):
        users.add_user(app, lead, "newbie", ADMIN_PASSWORD, roles=("财务",))
    assert "settings.manage" not in _perms(app, lead)
    # What wang holds, wang can give.
    roles.create_role(app, lead, "打包", ("order.view", "print.run"))
    users.add_user(app, lead, "packer", ADMIN_PASSWORD, roles=("打包", "打单员"))


def test_a_user_manager_cannot_grant_permissions_they_lack(app, acme, lead) -> None:
    with pytest.raises(PermissionDenied, match=r"settings\.manage"):
        roles.grant(app, lead, "组长", "settings.manage")
    with pytest.raises(PermissionDenied, match=r"pii\.view"):
        roles.create_role(app, lead, "看明文", ("pii.view",))
    with pytest.raises(PermissionDenied, match=r"finance\.view"):
        roles.create_role(app, lead, "像财务", based_on="财务")
    roles.grant(app, lead, "组长", "order.view")  # held already: fine
    assert "settings.manage" not in _perms(app, lead)


def test_a_user_manager_cannot_take_away_permissions_they_lack(app, acme, lead) -> None:
    roles.create_role(app, acme.admin, "报表", ("report.view",))
    acme.staff("accountant", "报表")
    with pytest.raises(PermissionDenied, match=r"report\.view"):
        roles.revoke(app, lead, "报表", "report.view")
    with pytest.raises(PermissionDenied, match=r"report\.view"):
        roles.unassign(app, lead, "accountant", "报表")
    with pytest.raises(PermissionDenied, match=r"settings\.manage"):
        roles.unassign(app, lead, "boss", "管理员")
    roles.create_role(app, acme.admin, "空闲", ("report.view",))
    with pytest.raises(PermissionDenied, match=r"report\.view"):
        roles.delete_role(app, lead, "空闲")


def test_a_user_manager_cannot_take_over_a_more_powerful_account(app, acme, lead) -> None:
    for call in (
        lambda: users.admin_reset_password(app, lead, "boss", "Taken-Over-Pass-1"),
        lambda: auth.create_api_token(app, lead, "backdoor", username="boss"),
        lambda: users.set_user_enabled(app, lead, "boss", enabled=False),
        lambda: users.unlock_user(app, lead, "boss"),
        lambda: auth.disable_totp(app, lead, "boss"),
        lambda: auth.revoke_token(app, lead, auth.create_api_token(app, acme.admin, "erp").id),
    ):
        with pytest.raises(PermissionDenied, match=r"wang cannot .*boss.*settings\.manage"):
            call()
    auth.login(app, "boss", ADMIN_PASSWORD)  # password unchanged, account enabled
    # Accounts within wang's own permissions are wang's to manage.
    users.admin_reset_password(app, lead, "clerk", "Clerk-New-Pass-1")
    assert auth.create_api_token(app, lead, "scanner", username="clerk").kind == "api"
    users.set_user_enabled(app, lead, "clerk", enabled=False)
    users.set_user_enabled(app, lead, "clerk", enabled=True)
    users.unlock_user(app, lead, "clerk")
    auth.disable_totp(app, lead, "clerk")


def test_the_admin_and_the_system_actor_manage_everyone(app, acme, lead) -> None:
    roles.assign(app, acme.admin, "wang", "管理员")
    roles.unassign(app, acme.system, "wang", "管理员")
    users.admin_reset_password(app, acme.system, "boss", "Another-Good-Pass-7")
