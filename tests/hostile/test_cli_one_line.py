"""No input makes the command line print a traceback: each hostile case below ends with
exactly one line on stderr and exit status 1, and changes nothing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from cli.main import main
from core import crypto


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away installation's settings (the database is each test's to provide)."""
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", crypto.generate_key())
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal
    return tmp_path


def one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("orderhub: error:"), lines
    return lines[0]


DATA_COMMANDS = [["user", "list"], ["shop", "list"], ["print", "jobs"], ["audit"]]


@pytest.mark.parametrize("command", DATA_COMMANDS)
def test_a_file_that_is_not_a_database(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command
) -> None:
    garbage = env / "orders.db"
    garbage.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", f"sqlite:///{garbage}")
    assert "not a database" in one_line(capsys, command)


@pytest.mark.parametrize("command", DATA_COMMANDS)
def test_a_truncated_database(
    env: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command,
) -> None:
    cut = env / "cut.db"
    shutil.copyfile(sqlite_template, cut)
    with cut.open("r+b") as handle:
        handle.truncate(cut.stat().st_size // 3)
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", f"sqlite:///{cut}")
    assert "database" in one_line(capsys, command)


@pytest.mark.parametrize(
    "command",
    [
        ["user", "add", "newbie"],
        ["user", "reset-password", "boss"],
        ["org", "register", "x", "y", "--contact", "x@example.com"],
    ],
)
def test_a_password_without_a_terminal(
    env: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command,
) -> None:
    database = env / "orderhub.db"
    shutil.copyfile(sqlite_template, database)
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", f"sqlite:///{database}")
    assert "--password-stdin" in one_line(capsys, command)
