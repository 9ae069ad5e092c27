"""`orderhub sync` and `orderhub worker --once` through the real command line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cli.main import main
from core import clock
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.processes import write_config
from tests.sync.rig import CLIENT_KNOBS, Rig, make_rig, mismatches


@pytest.fixture
def rig(settings, tmp_path, monkeypatch) -> Iterator[Rig]:
    config = SandboxConfig(seed=13, shops=2, orders=150, history_days=0.5)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=1)
        path = write_config(
            tmp_path / "orderhub.toml",
            {
                "data_dir": str(settings.data_dir),
                "database_url": settings.database_url,
                "secret_key": settings.secret_key,
                "plugins": {"only": ["orderhub"]},
                "sync": {"initial_days": 1},
                "platforms": {"pinduoduo": {**server.client_settings(), **CLIENT_KNOBS}},
            },
        )
        monkeypatch.setenv("ORDERHUB_CONFIG", str(path))
        built.settle()
        yield built
        built.app.close()


def test_sync_prints_each_window_and_stores_the_orders(rig: Rig, capsys) -> None:
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    assert main(["sync", "--shop", str(shop_id)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["SHOP", "WINDOW"]
    assert f"shop {shop_id} (" in out and ": ok; 48 window(s)" in out
    assert len([line for line in out.splitlines() if line.startswith(f"{shop_id} ")]) == 48
    assert mismatches(rig, rig.sandbox.shops[0].owner_id) == []


def test_sync_all_shops_as_json_and_by_name(rig: Rig, capsys) -> None:
    ids = rig.bind_all()
    assert main(["sync", "--json"]) == 0
    passes = json.loads(capsys.readouterr().out)
    assert [p["shop_id"] for p in passes] == ids
    assert all(p["status"] == "ok" and len(p["windows"]) == 48 for p in passes)
    assert sum(w["new"] for p in passes for w in p["windows"]) == 150
    name = rig.shop(ids[1]).name
    assert main(["sync", "--shop", name, "--json"]) == 0
    (again,) = json.loads(capsys.readouterr().out)
    assert again["shop_id"] == ids[1] and again["kind"] == "manual"


def test_backfill_from_the_command_line_in_beijing_time(rig: Rig, capsys) -> None:
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    main(["sync", "--shop", str(shop_id)])
    cursor = clock.as_utc(rig.shop(shop_id).sync_cursor)
    since = (cursor - timedelta(hours=3)).astimezone(clock.SHANGHAI).replace(tzinfo=None)
    until = since + timedelta(hours=1)
    capsys.readouterr()
    argv = [
        "sync",
        "--shop",
        str(shop_id),
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat(),
        "--json",
    ]
    assert main(argv) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["kind"] == "backfill" and len(report["windows"]) == 2
    start = since.replace(tzinfo=clock.SHANGHAI).astimezone(clock.UTC)
    assert report["windows"][0]["start"] == start.isoformat()
    assert clock.as_utc(rig.shop(shop_id).sync_cursor) == cursor


def test_usage_errors_are_one_line(rig: Rig, capsys) -> None:
    rig.bind(rig.sandbox.shops[0].owner_id)
    assert main(["sync", "--since", "2026-11-20"]) == 2
    assert "--since and --until go together" in capsys.readouterr().err
    assert main(["sync", "--shop", "nope"]) == 1
    assert "no shop with id or name 'nope'" in capsys.readouterr().err
    assert main(["sync", "--since", "yesterday", "--until", "today"]) == 1
    assert "is not an ISO time" in capsys.readouterr().err


def test_worker_once_syncs_what_is_due(rig: Rig, capsys) -> None:  # type: ignore[no-untyped-def]
    rig.bind_all()
    assert main(["worker", "--once", "--worker-id", "cli-test"]) == 0
    started = next(line for line in capsys.readouterr().err.splitlines() if "started" in line)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+08:00 INFO orderhub", started)
    for owner_id in rig.shop_ids:
        assert mismatches(rig, owner_id) == []
    runs = rig.runs()
    assert runs and {r.worker for r in runs} == {"cli-test"}
    assert main(["worker", "--once", "--worker-id", "cli-test"]) == 0  # nothing due now
    assert len(rig.runs()) == len(runs)
