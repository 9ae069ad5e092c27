"""常用筛选: saved per user in canonical form, shared in the org, owner-only changes, an
admin may delete a shared one; every change audited."""

from __future__ import annotations

import pytest

from core.accounts import audit
from core.app import App
from core.desk import saved_filters as sf
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.conftest import OrgFixture


def actions(app: App, org_id: int) -> list[str]:
    with app.tx() as session:
        return [e.action for e in audit.events(session, org_id) if e.target_type == "saved_filter"]


def test_save_list_rename_share_and_delete(app: App, acme: OrgFixture) -> None:
    alice = acme.staff("alice", "打单员")
    bob = acme.staff("bob", "只读")
    saved = sf.save_filter(app, alice, " 广东急单 ", "status=audited province:广东省 tag:紧急")
    assert (saved.name, saved.query, saved.shared) == (
        "广东急单",
        "status:audited province:广东省 tag:紧急",
        False,
    )
    assert sf.list_filters(app, bob) == []
    with pytest.raises(NotFound):
        sf.filter_query(app, bob, "alice/广东急单")  # private: not even named to bob
    sf.set_shared(app, alice, "广东急单", True)
    (seen,) = sf.list_filters(app, bob)
    assert (seen.owner, seen.mine, seen.shared) == ("alice", False, True)
    assert sf.filter_query(app, bob, "alice/广东急单") == saved.query
    with pytest.raises(NotFound):
        sf.rename_filter(app, bob, "alice/广东急单", "mine now")
    sf.rename_filter(app, alice, "广东急单", "广东")
    assert sf.filter_query(app, alice, "广东") == saved.query
    with pytest.raises(PermissionDenied, match=r"settings\.manage"):
        sf.delete_filter(app, bob, "alice/广东")
    sf.delete_filter(app, alice, "广东")
    assert sf.list_filters(app, alice) == []
    assert actions(app, acme.org_id) == [
        "saved_filter.delete",
        "saved_filter.rename",
        "saved_filter.share",
        "saved_filter.save",
    ]


def test_an_admin_deletes_a_shared_filter_but_never_sees_a_private_one(
    app: App, acme: OrgFixture
) -> None:
    alice = acme.staff("alice", "打单员")
    sf.save_filter(app, alice, "shared", "hold:yes", shared=True)
    sf.save_filter(app, alice, "private", "hold:no")
    with pytest.raises(NotFound):
        sf.delete_filter(app, acme.admin, "alice/private")
    sf.delete_filter(app, acme.admin, "alice/shared")
    assert [f.name for f in sf.list_filters(app, alice)] == ["private"]


def test_bad_names_queries_duplicates_and_the_system_actor(app: App, acme: OrgFixture) -> None:
    alice = acme.staff("alice", "打单员")
    with pytest.raises(ValidationError, match="unknown key 'provnce'"):
        sf.save_filter(app, alice, "x", "provnce:浙江省")
    for bad in ("", "a/b", "x" * 65, "tab\there"):
        with pytest.raises(ValidationError):
            sf.save_filter(app, alice, bad, "hold:no")
    sf.save_filter(app, alice, "x", "hold:no")
    with pytest.raises(Conflict):
        sf.save_filter(app, alice, "x", "hold:yes")
    with pytest.raises(ValidationError, match="--as USER"):
        sf.save_filter(app, acme.system, "y", "hold:no")
    assert [f.name for f in sf.list_filters(app, acme.system)] == ["x"]


def test_filters_need_order_view_and_stay_in_their_org(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    alice = acme.staff("alice", "打单员")
    sf.save_filter(app, alice, "shared", "hold:yes", shared=True)
    nobody = acme.staff("nobody")
    for call in (
        lambda: sf.save_filter(app, nobody, "n", "hold:no"),
        lambda: sf.list_filters(app, nobody),
        lambda: sf.filter_query(app, nobody, "alice/shared"),
    ):
        with pytest.raises(PermissionDenied, match=r"order\.view"):
            call()
    spy = globex.staff("alice2", "打单员")
    assert sf.list_filters(app, spy) == []
    with pytest.raises(NotFound):
        sf.filter_query(app, spy, "alice/shared")
    with pytest.raises(NotFound):
        sf.delete_filter(app, globex.admin, "alice/shared")
