"""approve / reject / recheck and the rule set: the permission matrix, refusals, audit
events, other orgs, and the CLI on top."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from core.accounts import audit
from core.auditing import decisions, settings
from core.contracts.types import OrderStatus
from core.errors import NotFound, PermissionDenied, ValidationError
from tests.auditing.conftest import check, make_order, make_shop, order, store
from tests.conftest import TEST_KEY


@pytest.fixture
def queued(app, acme, shop, frozen_clock) -> dict[str, int]:
    """Two orders in the exception queue (a buyer memo each) and one approved."""
    ids = store(
        app,
        acme.org_id,
        shop,
        [
            make_order("Q1", buyer_memo="发顺丰"),
            make_order("Q2", buyer_memo="急"),
            make_order("Q3"),
        ],
    )
    check(app, acme.org_id, ids.values())
    return ids


def events(app, org_id: int, action: str):
    with app.tx() as s:
        return audit.events(s, org_id, action=action)


def test_an_operator_approves_an_order_with_exceptions(app, acme, shop, queued):
    clerk = acme.staff("clerk", "打单员")
    report = decisions.approve(app, clerk, ["Q1"])
    assert [(d.number, d.outcome) for d in report.decisions] == [("Q1", "approved")]
    stored = order(app, shop, "Q1")
    assert stored.hub_status == "audited" and stored.audited_by == clerk.user_id
    assert stored.exception_reasons == [] and stored.in_exception is False
    [event] = events(app, acme.org_id, "order.approve")[:1]
    assert (event.target_type, event.target_id, event.detail) == (
        "order",
        str(queued["Q1"]),
        "manual",
    )
    assert event.before["exception_reasons"] == ["buyer_memo"]


def test_refused_orders_are_named_and_the_rest_applied(app, acme, shop, queued):
    report = decisions.approve(app, acme.admin, ["Q1", "Q3"])
    assert [(d.number, d.outcome) for d in report.decisions] == [
        ("Q1", "approved"),
        ("Q3", "refused"),
    ]
    assert "audited already" in report.refused[0].note


def test_reject_sends_back_with_a_reason_and_keeps_it_out_of_auto_approval(app, acme, shop, queued):
    report = decisions.reject(app, acme.admin, ["Q3"], "地址待确认")
    assert report.decisions[0].outcome == "rejected"
    stored = order(app, shop, "Q3")
    assert stored.hub_status == "pending" and stored.reject_reason == "地址待确认"
    assert stored.exception_reasons == ["rejected"] and stored.in_exception
    assert events(app, acme.org_id, "order.reject")[0].detail == "地址待确认"
    decisions.recheck(app, acme.admin, ["Q3"])  # rules pass, but a person sent it back
    assert order(app, shop, "Q3").hub_status == "pending"
    decisions.approve(app, acme.admin, ["Q3"])
    assert order(app, shop, "Q3").reject_reason == ""
    with pytest.raises(ValidationError, match="reason is required"):
        decisions.reject(app, acme.admin, ["Q1"], "  ")


def test_recheck_runs_the_rules_again_after_a_settings_change(app, acme, shop, queued):
    settings.update(app, acme.admin, {"buyer_memo": False})
    report = decisions.recheck(app, acme.admin, pending=True)
    assert {d.number: d.outcome for d in report.decisions} == {"Q1": "approved", "Q2": "approved"}
    assert events(app, acme.org_id, "order.recheck")[0].after == {"checked": 2, "approved": 2}


def test_closed_orders_are_refused(app, acme, shop, queued):
    store(app, acme.org_id, shop, [make_order("Q2", minutes=5, status=OrderStatus.SHIPPED)])
    report = decisions.reject(app, acme.admin, ["Q2"], "x")
    assert report.refused[0].note == "order Q2 is shipped, not pending or audited"


@pytest.mark.parametrize(
    "action",
    [
        lambda app, actor: decisions.approve(app, actor, ["Q1"]),
        lambda app, actor: decisions.reject(app, actor, ["Q1"], "no"),
        lambda app, actor: decisions.recheck(app, actor, ["Q1"]),
    ],
    ids=["approve", "reject", "recheck"],
)
def test_deciding_needs_order_audit_and_stays_in_the_org(app, acme, globex, shop, queued, action):
    viewer = acme.staff("viewer", "只读")
    with pytest.raises(PermissionDenied):
        action(app, viewer)
    assert order(app, shop, "Q1").hub_status == "pending"
    with pytest.raises(NotFound):
        action(app, globex.admin)  # acme's order does not exist for globex
    assert order(app, shop, "Q1").exception_reasons == ["buyer_memo"]


def test_a_number_two_shops_share_must_name_its_shop(app, acme, shop, queued):
    second = make_shop(app, acme.org_id, "9010", "第二店")
    store(app, acme.org_id, second, [make_order("Q1")])
    with pytest.raises(ValidationError, match="SHOP_ID:Q1"):
        decisions.approve(app, acme.admin, ["Q1"])
    report = decisions.approve(app, acme.admin, [f"{shop}:Q1"])
    assert report.decisions[0].order_id == queued["Q1"]


def test_the_rule_set_is_validated_versioned_and_audited(app, acme):
    with pytest.raises(ValidationError, match="stop_flags: 'pink'") as bad:
        settings.update(app, acme.admin, {"stop_flags": ["pink"]})
    assert bad.value.details["field"] == "stop_flags"
    with pytest.raises(ValidationError, match="unknown audit rule setting 'colour'"):
        settings.update(app, acme.admin, {"colour": 1})
    with pytest.raises(ValidationError, match=r"amount_min_fen \(500\) is above amount_max_fen"):
        settings.update(app, acme.admin, {"amount_min_fen": 500, "amount_max_fen": 100})
    with pytest.raises(ValidationError, match="wait_minutes must be a whole number"):
        settings.update(app, acme.admin, {"wait_minutes": -1})
    assert settings.show(app, acme.admin).version == 0
    view = settings.update(app, acme.admin, {"wait_minutes": 30, "stop_flags": ["red", "purple"]})
    assert view.version == 1 and view.settings["stop_flags"] == ["red", "purple"]
    [event] = events(app, acme.org_id, "audit_rules.update")
    assert event.before == {"stop_flags": ["red"], "wait_minutes": 0}
    assert event.after == {"stop_flags": ["red", "purple"], "wait_minutes": 30}
    clerk = acme.staff("clerk", "打单员")
    with pytest.raises(PermissionDenied):
        settings.update(app, clerk, {"wait_minutes": 5})
    assert settings.show(app, clerk).settings["wait_minutes"] == 30


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_sets_rules_and_decides(cli_env, app, acme, shop, queued, capsys):
    code, out, _ = run(capsys, "audit-rules", "set", "wait_minutes=5", "stop_flags=red,blue")
    assert code == 0 and "stop_flags" in out and "red,blue" in out
    code, out, _ = run(capsys, "audit-rules", "show", "--json")
    assert json.loads(out)["settings"]["wait_minutes"] == 5 and json.loads(out)["version"] == 1
    code, out, _ = run(capsys, "orders", "reject", "Q3", "--reason", "核对地址", "--json")
    data = json.loads(out)
    assert data["decisions"][0]["outcome"] == "rejected" and data["applied"] == 1
    assert run(capsys, "orders", "approve", "Q1", "Q3")[0] == 0
    code, out, _ = run(capsys, "orders", "approve", "Q1")
    assert code == 1 and "audited already" in out
    code, out, _ = run(capsys, "orders", "recheck", "--pending", "--json")
    assert code == 0 and json.loads(out)["decisions"][0]["order"] == "Q2"
    code, out, _ = run(capsys, "audit-rules", "run", "--json")
    assert code == 0 and json.loads(out)["checked"] == 0
    code, _, err = run(capsys, "audit-rules", "set", "wait_minutes=x")
    assert code == 1 and "write a whole number" in err
    code, _, err = run(capsys, "orders", "approve", "NOPE")
    assert code == 1 and "no order NOPE" in err
    code, _, err = run(capsys, "orders", "recheck")
    assert code == 1 and "name the orders to re-check" in err
