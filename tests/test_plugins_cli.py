"""`orderhub plugins` through `cli.main.main`, configured by ORDERHUB_* like a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.cmd_plugins import capabilities_text
from cli.main import main
from core.config import Settings


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.delenv("ORDERHUB_PLUGINS_DISABLED", raising=False)


def test_plugins_text_lists_the_log_notifier(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "VERSION", "DISTRIBUTION", "CAPABILITIES"]
    [log_line] = [line for line in lines if line.startswith("log ")]
    assert log_line.split() == ["log", "notifier", "0.1.0", "orderhub", "0.1.0", "-"]


@pytest.mark.parametrize("argv", [["--json", "plugins"], ["plugins", "--json"]])
def test_plugins_json(env: None, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    [log] = [r for r in rows if r["name"] == "log"]
    assert log["kind"] == "notifier"
    assert log["distribution"] == "orderhub" and log["plugin"] == "notifier-log"
    assert log["capabilities"] == {"direct_delivery": False} and log["error"] == ""


def test_failed_plugins_are_shown_with_their_error(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = tmp_path / "site" / "orderhub_gone-0.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: orderhub-gone\nVersion: 0.9\n")
    (info / "entry_points.txt").write_text("[orderhub]\ngone = orderhub_gone_module\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub,orderhub-gone")
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    [gone] = [line for line in out.splitlines() if line.startswith("gone ")]
    assert "(failed)" in gone and "orderhub-gone 0.9" in gone
    assert "ERROR: plugin 'gone' (orderhub_gone_module) from orderhub-gone 0.9 failed" in gone
    assert any(line.startswith("log ") for line in out.splitlines())


def test_disabled_by_environment(env: None, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ORDERHUB_PLUGINS_DISABLED", "notifier-log")
    assert main(["--json", "plugins"]) == 0
    assert "log" not in {row["name"] for row in json.loads(capsys.readouterr().out)}


def test_capabilities_text() -> None:
    caps = {"cancel": True, "reprint_query": False, "max_batch": 10, "languages": ["tspl", "zpl"]}
    assert capabilities_text(caps) == "cancel, max_batch=10, languages=tspl,zpl"
    assert capabilities_text({"status": False}) == "-"
