"""`orderhub init` / `status` / `--help` through `cli.main.main`, in a throw-away data dir."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.main import main
from core import migrate
from core.accounts.passwords import verify_password
from core.config import Settings, load_settings
from core.db import create_db_engine
from core.models import AuditEvent, Org, User
from core.startup import open_app

PASSWORD = "correct-horse-battery"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every setting at tmp_path; keep argon2 cheap and stray plugins out."""
    for name in ("ORDERHUB_SECRET_KEY", "ORDERHUB_DATABASE_URL", "ORDERHUB_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_PARALLELISM", "1")
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal unless a test says so
    return tmp_path / "data"


def _accounts(settings: Settings) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """(org names, [(username, password hash, role names)]) as stored."""
    app = open_app(settings)
    try:
        with app.tx() as session:
            orgs = list(session.scalars(select(Org.name)))
            users = [
                (u.username, u.password_hash, [r.name for r in u.roles])
                for u in session.scalars(select(User))
            ]
    finally:
        app.close()
    return orgs, users


def test_init_then_status_on_each_backend(
    data_dir: Path,
    fresh_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not fresh_database_url.startswith("sqlite"):
        monkeypatch.setenv("ORDERHUB_DATABASE_URL", fresh_database_url)

    assert main(["status"]) == 1
    assert "needs `orderhub init`" in capsys.readouterr().out

    assert main(["init", "--org", "acme", "--admin", "boss", "--contact", "a@b.cn"]) == 0
    out = capsys.readouterr().out
    assert "acme (created, admin boss)" in out

    key_file = data_dir / "secret.keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    settings = load_settings()
    engine = create_db_engine(settings.effective_database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    orgs, users = _accounts(settings)
    assert orgs == ["acme"]
    [(username, password_hash, roles)] = users
    assert (username, roles) == ("boss", ["管理员"])
    assert verify_password(password_hash, PASSWORD, settings.auth)

    # Re-run: migrates (nothing to do), keeps the key, creates nothing.
    key_text = key_file.read_text()
    assert main(["init", "--org", "other", "--admin", "someone"]) == 0
    assert "already initialised: org(s) acme" in capsys.readouterr().out
    assert key_file.read_text() == key_text
    assert _accounts(settings)[0] == ["acme"]

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["schema_up_to_date"] is True
    assert status["schema"] == "up to date"
    assert status["revision"] == migrate.head_revision()
    assert (status["orgs"], status["users"]) == (1, 1)
    assert status["key_file_mode"] == "600"
    assert status["problems"] == []
    plugins = {(p["kind"], p["name"], p["error"]) for p in status["plugins"]}
    assert ("notifier", "log", "") in plugins
    backend = "sqlite" if fresh_database_url.startswith("sqlite") else "postgresql"
    assert status["backend"] == backend


def test_init_audits_the_org_creation(data_dir: Path) -> None:
    assert main(["init", "--org", "acme"]) == 0
    app = open_app(load_settings())
    try:
        with app.tx() as session:
            events = list(session.scalars(select(AuditEvent)))
    finally:
        app.close()
    assert [(e.action, e.actor_label) for e in events] == [("org.create", "init")]


def test_generated_password_without_terminal(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDERHUB_ADMIN_PASSWORD")
    assert main(["init", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    generated = report["generated_password"]
    assert len(generated) == 20
    settings = load_settings()
    [(username, password_hash, _)] = _accounts(settings)[1]
    assert username == "admin"
    assert verify_password(password_hash, generated, settings.auth)

    # Shown once: a re-run neither generates nor prints a password.
    assert main(["init", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["generated_password"] is None


@pytest.mark.timeout(60)
def test_generated_password_meets_a_minimum_longer_than_twenty(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDERHUB_ADMIN_PASSWORD")
    monkeypatch.setenv("ORDERHUB_AUTH_PASSWORD_MIN_LENGTH", "64")
    assert main(["init", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["generated_password"]) == 64


def test_generated_password_is_announced_in_text(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDERHUB_ADMIN_PASSWORD")
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert "shown only this once" in out


def test_password_from_stdin(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDERHUB_ADMIN_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-in-secret-42\n"))
    assert main(["init", "--password-stdin"]) == 0
    assert "shown only this once" not in capsys.readouterr().out
    settings = load_settings()
    [(_, password_hash, _)] = _accounts(settings)[1]
    assert verify_password(password_hash, "piped-in-secret-42", settings.auth)


def test_weak_password_is_refused_and_nothing_is_created(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERHUB_ADMIN_PASSWORD", "12345678901")
    assert main(["init"]) == 1
    assert "password must not be only digits" in capsys.readouterr().err
    assert _accounts(load_settings()) == ([], [])

    monkeypatch.setenv("ORDERHUB_ADMIN_PASSWORD", PASSWORD)
    assert main(["init"]) == 0
    assert _accounts(load_settings())[0] == ["default"]


def test_bad_user_name_fails_before_asking_for_a_password(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("never-read-password\n"))
    assert main(["init", "--admin", "老板 boss", "--password-stdin"]) == 1
    assert "user name may use" in capsys.readouterr().err
    assert sys.stdin.read() == "never-read-password\n"


def test_keys_from_environment_need_no_key_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.crypto import generate_key

    monkeypatch.setenv("ORDERHUB_SECRET_KEY", generate_key())
    assert main(["init"]) == 0
    assert "from ORDERHUB_SECRET_KEY" in capsys.readouterr().out
    assert not (data_dir / "secret.keys").exists()
    assert main(["status"]) == 0


def test_lost_key_file_is_not_silently_replaced(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    (data_dir / "secret.keys").unlink()
    capsys.readouterr()
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "secret.keys is missing" in err and "restore it" in err
    assert not (data_dir / "secret.keys").exists()


def test_status_flags_a_key_file_others_can_read(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    (data_dir / "secret.keys").chmod(0o644)
    capsys.readouterr()
    assert main(["status"]) == 1
    assert "readable by others" in capsys.readouterr().out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "status", "config"):
        assert f"\n    {command} " in out, command


def test_global_json_flag_works_before_the_command(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--json", "config", "show"]) == 0
    assert "settings" in json.loads(capsys.readouterr().out)


def test_unreachable_database_is_one_line_not_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", "postgresql://oh:pw-never-shown@127.0.0.1:1/x")
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("orderhub: error: database: ") and err.count("\n") == 1

    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "database not reachable" in out
    assert "database:  postgresql://oh:****@127.0.0.1:1/x\n" in out
    assert "problem:   database not reachable: " in out
    assert "pw-never-shown" not in out


def test_status_names_an_invalid_database_url(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", "not a url")
    assert main(["status"]) == 1
    assert "database URL 'not a url' is not valid" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "mysql://oh:pw-never-shown@127.0.0.1:1/x",
        "postgresql://oh@127.0.0.1:1/x?password=pw-never-shown",
        "postgresql://oh@127.0.0.1:1/x?sslmode=disable&password=pw-never-shown&connect_timeout=2",
        "postgresql://oh:p@ss:w/rd-never-shown@127.0.0.1:1/x",
        "postgresql://oh:p%40ss%3Apw-never-shown@127.0.0.1:1/x",
        "host=127.0.0.1 port=1 password=pw-never-shown",
        "postgres//oh:pw-never-shown@127.0.0.1:1/x",
    ],
)
@pytest.mark.parametrize(
    "command", [["status"], ["status", "--json"], ["init"], ["config", "show"]]
)
def test_no_command_shows_the_database_password(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    command: list[str],
) -> None:
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", url)
    main(command)
    captured = capsys.readouterr()
    assert "never-shown" not in captured.out + captured.err
    assert "Traceback" not in captured.err


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_database_url", ["postgres"], indirect=True)  # SQLite: no password
def test_init_with_a_password_that_needs_percent_encoding(
    data_dir: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """`@`, `:` and `%` in the password reach the database %-encoded; Alembic's config
    must not read that `%` as interpolation (it refused, quoting the whole URL)."""
    url = fresh_database_url.replace("://postgres@", "://postgres:p%40ss%3Aw%25rd@")
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", url)
    assert main(["init", "--org", "Acme"]) == 0
    captured = capsys.readouterr()
    assert "p%40ss" not in captured.out + captured.err
    assert "p@ss" not in captured.out + captured.err


def test_status_warns_about_unknown_variables_and_platform_tables(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["init"]) == 0
    config = tmp_path / "orderhub.toml"
    config.write_text('[platforms.pinduodou]\nclient_id = "1"\n', encoding="utf-8")
    monkeypatch.setenv("ORDERHUB_CONFIG", str(config))
    monkeypatch.setenv("ORDERHUB_AUTH_SESION_HOURS", "1")
    capsys.readouterr()
    assert main(["status"]) == 0  # warnings, not problems
    out = capsys.readouterr().out
    assert "warning:   ORDERHUB_AUTH_SESION_HOURS is not an orderhub setting" in out
    assert "warning:   [platforms.pinduodou]: no platform plugin 'pinduodou'" in out
    assert main(["status", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["warnings"]) == 2


def test_status_checks_platform_settings_with_the_plugin(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["init"]) == 0
    config = tmp_path / "orderhub.toml"
    config.write_text(
        '[platforms.pinduoduo]\nclient_id = "1"\nclient_secert = "never-shown"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ORDERHUB_CONFIG", str(config))
    capsys.readouterr()
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "problem:   [platforms.pinduoduo]: unknown pinduoduo setting(s) client_secert" in out
    assert "never-shown" not in out
