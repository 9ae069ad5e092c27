"""Changing a carrier account (`core.waybills.account_edits`): name, sender, default
template and on/off, audited; a taken name, an incomplete sender, another org's account
and a user without settings.manage are refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.accounts import audit
from core.contracts import Contact
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.waybills import carrier_accounts
from core.waybills.account_edits import update_account

SENDER = Contact(
    name="王仓管",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="余杭区",
    address="仓前街道1号",
)


def _manual(app, actor, name: str):  # type: ignore[no-untyped-def]
    return carrier_accounts.create_account(
        app, actor, name=name, carrier="manual", wp_code="SF", sender=SENDER
    )


def test_name_sender_template_and_switch_change_and_are_audited(app, acme) -> None:
    account = _manual(app, acme.admin, "顺丰手填")
    moved = replace(SENDER, name="李仓管", address="仓前街道2号")

    changed = update_account(
        app,
        acme.admin,
        account.id,
        name="顺丰-仓库二",
        sender=moved,
        default_template="label-100x150",
        enabled=False,
    )
    assert (changed.name, changed.sender.name, changed.sender.address) == (
        "顺丰-仓库二",
        "李仓管",
        "仓前街道2号",
    )
    assert (changed.default_template, changed.enabled) == ("label-100x150", False)
    assert changed.wp_code == "SF" and changed.carrier == "manual"
    assert carrier_accounts.get_account(app, acme.admin, "顺丰-仓库二") == changed
    with app.tx() as session:
        (event,) = audit.events(session, acme.org_id, action="carrier_account.update")
        assert event.before["name"] == "顺丰手填" and event.after["enabled"] is False

    update_account(app, acme.admin, account.id, enabled=False)  # no change: no event
    with app.tx() as session:
        assert len(audit.events(session, acme.org_id, action="carrier_account.update")) == 1


def test_bad_changes_are_refused(app, acme, globex) -> None:
    first = _manual(app, acme.admin, "one")
    _manual(app, acme.admin, "two")
    theirs = _manual(app, globex.admin, "theirs")

    with pytest.raises(Conflict, match="'two' already exists"):
        update_account(app, acme.admin, first.id, name="two")
    with pytest.raises(ValidationError, match="sender address"):
        update_account(app, acme.admin, first.id, sender=replace(SENDER, city=""))
    with pytest.raises(ValidationError, match="name must be 1 to 64"):
        update_account(app, acme.admin, first.id, name=" ")
    with pytest.raises(NotFound):
        update_account(app, acme.admin, theirs.id, enabled=False)
    clerk = acme.staff("clerk", "print_operator")
    with pytest.raises(PermissionDenied):
        update_account(app, clerk, first.id, enabled=False)
    assert carrier_accounts.get_account(app, acme.admin, first.id).name == "one"
