"""Running `orderhub` against the test's database, with a scanner's lines on stdin."""

from __future__ import annotations

import io
import json
import sys

import pytest

from cli.main import main
from tests.conftest import TEST_KEY


def point_cli_at(monkeypatch: pytest.MonkeyPatch, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """`orderhub ARGV…` with `stdin` as what a scanner typed (lines ending in Enter)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]
