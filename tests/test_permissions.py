"""Roles and permissions: templates, custom roles, every permission, changes without re-login."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import event, select

from core.accounts import auth, authz, roles, users
from core.accounts.permissions import BUILTIN_ROLES, PERMISSIONS
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import AuditEvent, User
from tests.conftest import ADMIN_PASSWORD

REQUIRED = {
    "order.view",
    "order.edit",
    "order.import",
    "order.audit",
    "print.run",
    "print.reprint",
    "ship.confirm",
    "shop.bind",
    "shop.unbind",
    "stock.view",
    "stock.adjust",
    "report.view",
    "finance.view",
    "pii.view",
    "settings.manage",
    "user.manage",
}


def test_the_issue_permissions_and_templates_exist() -> None:
    assert set(PERMISSIONS) >= REQUIRED
    assert [t.name for t in BUILTIN_ROLES] == ["管理员", "打单员", "仓库管理员", "财务", "只读"]
    admin = BUILTIN_ROLES[0]
    assert admin.permissions == frozenset(PERMISSIONS)
    read_only = BUILTIN_ROLES[-1]
    assert all(p.endswith(".view") for p in read_only.permissions)


def test_every_org_gets_the_builtin_roles(app, acme) -> None:
    names = {r.name: r for r in roles.list_roles(app, acme.admin)}
    assert set(names) == {"管理员", "打单员", "仓库管理员", "财务", "只读"}
    assert "pii.view" not in names["打单员"].permissions


@pytest.mark.parametrize("permission", sorted(REQUIRED))
def test_each_permission_is_granted_by_a_role_and_only_then(app, acme, permission) -> None:
    roles.create_role(app, acme.admin, "only-" + permission, (permission,))
    user = acme.staff("u" + permission.replace(".", "-"), "only-" + permission)
    with app.tx() as s:
        authz.require(s, user, permission)
        for other in REQUIRED - {permission}:
            with pytest.raises(PermissionDenied, match=other.replace(".", r"\.")):
                authz.require(s, user, other)


@pytest.mark.parametrize("template", BUILTIN_ROLES, ids=lambda t: t.key)
def test_builtin_roles_grant_exactly_their_template(app, acme, template) -> None:
    user = acme.staff("tpl-" + template.key.replace("_", "-"), template.name)
    with app.tx() as s:
        assert authz.permissions_of(s, user) == template.permissions


def test_user_management_needs_user_manage(app, acme) -> None:
    clerk = acme.staff("clerk", "print_operator")
    for call in (
        lambda: users.add_user(app, clerk, "newbie", ADMIN_PASSWORD),
        lambda: users.list_users(app, clerk),
        lambda: users.set_user_enabled(app, clerk, "boss", enabled=False),
        lambda: users.admin_reset_password(app, clerk, "boss", "Another-Good-Pass-7"),
        lambda: roles.create_role(app, clerk, "mine", ("pii.view",)),
        lambda: roles.assign(app, clerk, "clerk", "管理员"),
        lambda: roles.list_roles(app, clerk),
    ):
        with pytest.raises(PermissionDenied, match=r"user\.manage"):
            call()


def test_permission_change_applies_on_the_next_action_without_new_login(app, acme) -> None:
    acme.staff("wang", "print_operator")
    token = auth.login(app, "wang", ADMIN_PASSWORD).session_token.token
    actor = auth.authenticate(app, token)
    with pytest.raises(PermissionDenied):
        users.list_users(app, actor)
    roles.create_role(app, acme.admin, "组长", ("user.manage",), based_on="打单员")
    roles.assign(app, acme.admin, "wang", "组长")
    # Same token, same Actor object: allowed now.
    assert {u.username for u in users.list_users(app, auth.authenticate(app, token))} == {
        "boss",
        "wang",
    }
    roles.revoke(app, acme.admin, "组长", "user.manage")
    with pytest.raises(PermissionDenied):
        users.list_users(app, actor)


def test_custom_roles_grant_revoke_and_audit(app, acme) -> None:
    role = roles.create_role(app, acme.admin, "夜班打单", based_on="print_operator")
    assert "print.run" in role.permissions
    roles.grant(app, acme.admin, "夜班打单", "print.reprint")
    roles.revoke(app, acme.admin, "夜班打单", "order.edit")
    with app.tx() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["role.grant", "role.revoke"]))
            .order_by(AuditEvent.id)
        ).all()
    assert "print.reprint" in events[0].after["permissions"]
    assert "print.reprint" not in events[0].before["permissions"]
    assert "order.edit" in events[1].before["permissions"]
    assert "order.edit" not in events[1].after["permissions"]


def test_builtin_roles_are_protected_and_bad_names_are_clear(app, acme) -> None:
    with pytest.raises(Conflict, match="based on it"):
        roles.grant(app, acme.admin, "打单员", "pii.view")
    with pytest.raises(Conflict, match="cannot be deleted"):
        roles.delete_role(app, acme.admin, "管理员")
    with pytest.raises(ValidationError, match=r"unknown permission 'order\.fly'"):
        roles.create_role(app, acme.admin, "x", ("order.fly",))
    with pytest.raises(NotFound, match="no role named 'nope'"):
        roles.grant(app, acme.admin, "nope", "order.view")
    with pytest.raises(Conflict, match="already exists"):
        roles.create_role(app, acme.admin, "财务")


def test_the_last_user_manager_cannot_be_removed(app, acme) -> None:
    with pytest.raises(Conflict, match=r"last active user with user\.manage"):
        roles.unassign(app, acme.admin, "boss", "管理员")
    acme.staff("deputy", "管理员")
    roles.unassign(app, acme.admin, "boss", "管理员")
    with pytest.raises(PermissionDenied):
        users.list_users(app, acme.admin)


def test_role_in_use_cannot_be_deleted(app, acme) -> None:
    roles.create_role(app, acme.admin, "temp", ("order.view",))
    acme.staff("temp-user", "temp")
    with pytest.raises(Conflict, match="temp-user"):
        roles.delete_role(app, acme.admin, "temp")
    roles.unassign(app, acme.admin, "temp-user", "temp")
    roles.delete_role(app, acme.admin, "temp")
    assert "temp" not in {r.name for r in roles.list_roles(app, acme.admin)}


def _managers(app, acme) -> set[str]:
    with app.tx() as s:
        return {
            u.username
            for u in s.scalars(select(User).where(User.org_id == acme.org_id))
            if u.status == "active" and any("user.manage" in r.permissions for r in u.roles)
        }


def test_revoking_user_manage_from_the_last_managers_role_is_refused(app, acme) -> None:
    roles.create_role(app, acme.admin, "组长", ("user.manage", "order.view"))
    acme.staff("wang", "组长")
    roles.unassign(app, acme.admin, "boss", "管理员")
    with pytest.raises(Conflict, match=r"revoke user\.manage from role 组长.*wang.*last"):
        roles.revoke(app, acme.system, "组长", "user.manage")
    # Nothing changed, nothing audited.
    role = next(r for r in roles.list_roles(app, acme.system) if r.name == "组长")
    assert "user.manage" in role.permissions
    assert _managers(app, acme) == {"wang"}
    with app.tx() as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "role.revoke")).all()
    # Another permission of the same role can still go; with a second manager, so can this.
    roles.revoke(app, acme.system, "组长", "order.view")
    roles.assign(app, acme.system, "boss", "管理员")
    roles.revoke(app, acme.system, "组长", "user.manage")
    assert _managers(app, acme) == {"boss"}


def test_disabled_users_do_not_count_as_managers(app, acme) -> None:
    acme.staff("deputy", "管理员")
    users.set_user_enabled(app, acme.admin, "deputy", enabled=False)
    with pytest.raises(Conflict, match=r"boss is the org's last active user with user\.manage"):
        roles.unassign(app, acme.system, "boss", "管理员")
    with pytest.raises(Conflict, match=r"disable boss.*last active user with user\.manage"):
        users.set_user_enabled(app, acme.system, "boss", enabled=False)
    assert _managers(app, acme) == {"boss"}


def test_disabling_someone_else_is_not_refused_for_want_of_managers(app, acme) -> None:
    """Only a change that takes user.manage from the last holders is refused."""
    acme.staff("clerk", "print_operator")
    users.set_user_enabled(app, acme.system, "clerk", enabled=False)
    roles.unassign(app, acme.system, "clerk", "打单员")


def test_two_managers_removing_each_other_at_once_leave_one(app, acme) -> None:
    """Each change checks the *other* is still a manager; the org lock makes them take turns."""
    acme.staff("deputy", "管理员")
    barrier = threading.Barrier(2)

    def pause_before_removing(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE FROM USER_ROLES"):
            # Both have checked: now both remove (or time out, when one waits on the lock).
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)

    event.listen(app.engine, "before_cursor_execute", pause_before_removing)
    outcomes: dict[str, BaseException | None] = {}

    def remove(name: str) -> None:
        try:
            roles.unassign(app, acme.system, name, "管理员")
            outcomes[name] = None
        except BaseException as exc:
            outcomes[name] = exc

    try:
        threads = [threading.Thread(target=remove, args=(n,)) for n in ("boss", "deputy")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(app.engine, "before_cursor_execute", pause_before_removing)
    errors = [e for e in outcomes.values() if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert len(_managers(app, acme)) == 1
