"""`orderhub alerts list|ack` and the alert counts of `orderhub status`, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cli.main import main
from core.alerts.raising import raise_alert
from tests.conftest import TEST_KEY


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, acme):
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_PARALLELISM", "1")
    return acme


def run(capsys, *argv: str):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_beijing_time_and_ack_closes(cli_env, capsys, app, frozen_clock) -> None:
    frozen_clock[0] = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    hold = raise_alert(app, cli_env.org_id, "order.refund_hold", "critical", "订单 A1: 已拦截")
    raise_alert(app, cli_env.org_id, "sync.failing", "warning", "shop 1 failing")
    code, out, err = run(capsys, "alerts", "list")
    assert code == 0, err
    assert "2026-11-27 10:00" in out and "已拦截" in out and "open" in out
    code, out, _ = run(capsys, "alerts", "list", "--json", "--severity", "critical")
    [row] = json.loads(out)
    assert (row["id"], row["kind"], row["acked_at"]) == (hold.id, "order.refund_hold", None)
    code, out, err = run(capsys, "alerts", "ack", str(hold.id), "--as", "boss", "--json")
    assert code == 0, err
    assert [a["acked_by"] for a in json.loads(out)["acked"]] == ["boss"]
    code, out, _ = run(capsys, "alerts", "list", "--json")
    assert [a["kind"] for a in json.loads(out)] == ["sync.failing"]
    code, out, _ = run(capsys, "alerts", "list", "--all", "--kind", "order.*")
    assert "acked 2026-11-27 10:00 by boss" in out
    assert run(capsys, "alerts", "ack", "--kind", "sync.failing")[0] == 0
    assert json.loads(run(capsys, "alerts", "list", "--json")[1]) == []


def test_bad_input_is_one_line_not_a_traceback(cli_env, capsys, app) -> None:
    code, _, err = run(capsys, "alerts", "ack")
    assert code == 1 and "give alert ids or --kind" in err
    code, _, err = run(capsys, "alerts", "ack", "424242")
    assert code == 1 and "no alert 424242" in err
    with pytest.raises(SystemExit):
        main(["alerts", "list", "--since", "yesterday"])


def test_read_only_user_cannot_ack(cli_env, capsys, app) -> None:
    cli_env.staff("viewer", "read_only")
    alert = raise_alert(app, cli_env.org_id, "sync.failing", "warning", "x")
    code, _, err = run(capsys, "alerts", "ack", str(alert.id), "--as", "viewer")
    assert code == 1 and "cannot acknowledge" in err


def test_status_counts_open_alerts_by_severity(cli_env, capsys, app, globex) -> None:
    raise_alert(app, cli_env.org_id, "sync.failing", "warning", "x")
    raise_alert(app, globex.org_id, "order.refund_hold", "critical", "y")
    raise_alert(app, None, "backup.failed", "critical", "z")
    _, out, _ = run(capsys, "status", "--json")
    report = json.loads(out)
    assert report["alerts"] == {"info": 0, "warning": 1, "critical": 2}
    assert {"orgs", "users", "schema", "plugins"} <= set(report)  # nothing renamed
    run(capsys, "status")
    out = run(capsys, "status")[1]
    assert "alerts:    2 critical, 1 warning, 0 info open (orderhub alerts list)" in out
