"""`orderhub sync` and `orderhub worker --once` through the real command line."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cli.main import main
from core import clock
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.processes import write_config
from tests.sync.rig import CLIENT_KNOBS, Rig, make_rig, mismatches


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


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


def test_a_first_sync_shows_progress_and_a_summary_not_a_row_per_window(rig: Rig, capsys) -> None:
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    name = rig.shop(shop_id).name
    assert main(["sync", "--shop", str(shop_id)]) == 0
    out, err = capsys.readouterr()
    (summary,) = out.splitlines()  # one line, no table
    found = re.fullmatch(
        rf"shop {shop_id} \({name}\): ok; 48 window\(s\), (\d+) seen, \1 new, 0 updated "
        r"in \d+\.\ds",
        summary,
    )
    assert found and int(found[1]) > 0, summary
    seen = int(found[1])
    # stderr is not a terminal here: plain progress lines, each tenth and an end
    progress = [line for line in err.splitlines() if line.startswith(f"shop {shop_id} {name}:")]
    assert re.match(rf"shop {shop_id} {name}: \d/48 windows \(10%\)", progress[0]), progress
    assert re.fullmatch(
        rf"shop {shop_id} {name}: 48/48 windows \(100%\) in \d+\.\ds( \(.* windows/s\))?; "
        rf"{seen} seen, {seen} new, 0 updated",
        progress[-1],
    ), progress[-1]
    assert 2 <= len(progress) <= 10
    assert mismatches(rig, rig.sandbox.shops[0].owner_id) == []


def test_on_a_terminal_the_first_sync_draws_a_bar(rig: Rig, capsys, monkeypatch) -> None:
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["sync", "--shop", str(shop_id)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and ": ok; 48 window(s)" in out
    drawn = terminal.getvalue()
    assert "\x1b[" in drawn and "━" in drawn  # Rich's live bar, in colour
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn).replace("\r", "\n").split("\n")
    assert any(f"shop {shop_id}" in line and "48/48 windows" in line for line in last)


def test_sync_windows_prints_the_table_of_windows_too(rig: Rig, capsys) -> None:
    ids = rig.bind_all()
    assert main(["sync", "--windows"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["SHOP", "WINDOW"]
    for shop_id in ids:
        rows = [line for line in out if line.startswith(f"{shop_id} ") and " – " in line]
        assert len(rows) == 48
        assert any(line.startswith(f"shop {shop_id} (") and ": ok; 48" in line for line in out)
    assert out[-1].startswith("2 shops: ") and out[-1].endswith(" new, 0 updated")


def test_sync_all_shops_as_json_and_by_name(rig: Rig, capsys) -> None:
    ids = rig.bind_all()
    assert main(["sync", "--json"]) == 0
    out, err = capsys.readouterr()
    passes = json.loads(out)
    assert "windows" not in err  # no progress with --json
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
