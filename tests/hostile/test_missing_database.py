"""Only `orderhub init` and `orderhub restore` create a database: any other command against
a SQLite file that is not there says so in one line and creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from core import crypto


@pytest.mark.parametrize(
    "command",
    [["user", "list"], ["shop", "list"], ["print", "jobs"], ["audit"], ["org", "list"]],
)
def test_a_data_command_does_not_create_a_database(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", crypto.generate_key())

    assert main(command) == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "does not exist" in err[0] and "orderhub init" in err[0]
    assert not (tmp_path / "nonexistent").exists()
