"""A person's UI language (`core.accounts.preferences`): their own without a permission,
another user's with `user.manage` only, in their org only, audited; bad values named."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts import preferences
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import AuditEvent
from tests.conftest import OrgFixture


def test_a_user_sets_their_own_language_and_it_is_audited(app, acme: OrgFixture) -> None:
    packer = acme.staff("xiaowang", "打单员")
    assert preferences.language_of(app, packer) is None
    assert preferences.set_language(app, packer, " EN ") == "en"
    assert preferences.language_of(app, packer) == "en"
    assert preferences.set_language(app, packer, "default") is None
    assert preferences.language_of(app, packer) is None
    with app.tx() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.language").order_by(AuditEvent.id)
        ).all()
    assert [(e.before, e.after) for e in events] == [
        ({"language": None}, {"language": "en"}),
        ({"language": "en"}, {"language": None}),
    ]


def test_another_users_language_needs_user_manage(app, acme: OrgFixture) -> None:
    packer = acme.staff("xiaowang", "打单员")
    acme.staff("xiaoli", "打单员")
    with pytest.raises(PermissionDenied) as refused:
        preferences.set_language(app, packer, "en", username="xiaoli")
    assert refused.value.details["permission"] == "user.manage"
    assert preferences.set_language(app, acme.admin, "en", username="XiaoLi") == "en"
    assert preferences.set_language(app, acme.system, "zh", username="xiaowang") == "zh"
    assert preferences.language_of(app, packer) == "zh"


def test_other_orgs_users_are_not_found_and_bad_values_are_named(
    app, acme: OrgFixture, globex: OrgFixture
) -> None:
    with pytest.raises(NotFound):
        preferences.set_language(app, acme.admin, "en", username="hank")
    with pytest.raises(ValidationError) as bad:
        preferences.set_language(app, acme.admin, "fr")
    assert bad.value.details["field"] == "language" and "zh, en" in str(bad.value)
    with pytest.raises(ValidationError) as nobody:
        preferences.set_language(app, acme.system, "en")
    assert nobody.value.details["field"] == "username"
    assert preferences.language_of(app, acme.system) is None
    assert preferences.language_of(app, globex.admin) is None
