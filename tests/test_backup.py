"""Backup while orderhub writes, restore into an empty database, and prove the copy is whole."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cli.main import main
from core import crypto, migrate
from core.app import App
from core.backup import service as backups
from core.backup.postgres import pg_conninfo, redact
from core.config import Settings
from core.db import create_db_engine, normalise_url
from core.errors import ConfigurationError, Conflict, NotSupported, ValidationError
from core.models import Alert, Org, User
from core.startup import open_app
from core.waybills import request_epoch

SEED_ALERTS = 300  # ~1.3 MB with the padding below: many backup steps on SQLite


@pytest.fixture
def restore_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same backend as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'orderhub.db'}"
        return
    server = make_url(normalise_url(database_url))
    name = f"orderhub_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _target(settings: Settings, url: str) -> Settings:
    return replace(settings, database_url=url)


def _seed(app: App) -> None:
    with app.tx() as session:
        org = Org(name="备份商家")
        session.add(org)
        session.flush()
        session.add(User(org_id=org.id, username="boss", password_hash="x", totp_secret="种子"))
        for i in range(SEED_ALERTS):
            session.add(Alert(org_id=org.id, kind="seed", message=f"seed {i} " + "填" * 1500))


def _rows(url: str, table: str, max_id: int | None = None) -> list[tuple[Any, ...]]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            meta_table = sa.Table(table, sa.MetaData(), autoload_with=conn)
            query = sa.select(meta_table).order_by(*meta_table.primary_key.columns)
            if max_id is not None:
                query = query.where(meta_table.c.id <= max_id)
            return [tuple(r) for r in conn.execute(query)]
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Inserts alerts one transaction at a time until told to stop."""

    def __init__(self, app: App) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.count = 0
        self.started_writing = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.app.tx() as session:
                    session.add(Alert(kind="live", message=f"live {self.count}"))
                self.count += 1
                if self.count >= 20:
                    self.started_writing.set()
        except BaseException as exc:  # surfaced by the test
            self.error = exc
            self.started_writing.set()


def test_backup_while_writing_restores_a_consistent_snapshot(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    with app.tx() as session:
        source_epoch = request_epoch.current(session)
    writer = Writer(app)
    writer.start()
    assert writer.started_writing.wait(30)
    try:
        report = backups.backup(app, tmp_path / "snap" / "orderhub.backup")
        during = writer.count
        while writer.count < during + 5 and writer.error is None:  # writes go on after it
            writer.stop.wait(0.01)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None

    manifest = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    assert manifest["sha256"] == report.sha256 == backups.file_sha256(report.path)
    assert manifest["backend"] == app.engine.dialect.name
    assert manifest["alembic_revision"] == migrate.head_revision()
    assert manifest["key_fingerprints"] == app.keyring.fingerprints
    assert manifest["created_at"].endswith("+00:00")
    assert report.method in {"paged", "single-step", "pg_dump"}
    backed_up = manifest["tables"]["alerts"]
    source_alerts = _rows(settings.database_url, "alerts")
    assert SEED_ALERTS + 20 <= backed_up < len(source_alerts)  # taken mid-stream

    restored = backups.restore(_target(settings, restore_url), report.path)

    assert restored.ok, restored.as_dict()
    assert restored.restored_revision == migrate.head_revision()
    assert {t.table: t.restored for t in restored.tables} == manifest["tables"]
    # A consistent snapshot: alerts 1..N, each row equal to the source's row with that id.
    copy = _rows(restore_url, "alerts")
    assert [r[0] for r in copy] == list(range(1, backed_up + 1))
    assert copy == _rows(settings.database_url, "alerts", max_id=backed_up)
    for table in ("orgs", "users"):
        assert _rows(restore_url, table) == _rows(settings.database_url, table)

    # The restored database is a working orderhub: keys decrypt, new ids continue.
    again = open_app(_target(settings, restore_url), load_plugins=False)
    try:
        with again.tx() as session:
            assert session.query(User).filter_by(username="boss").one().totp_secret == "种子"
            alert = Alert(kind="after", message="after restore")
            session.add(alert)
            session.flush()
            # Past every restored id. (PostgreSQL sequences are not MVCC: pg_dump saves the
            # value it reads when it gets there, which may be ahead of the snapshot; a gap.)
            assert alert.id > backed_up
            # Package ids past the snapshot come round again: carrier request ids must not.
            restored_epoch = request_epoch.current(session)
            assert restored_epoch != source_epoch and len(restored_epoch) == 8
    finally:
        again.close()


def test_restore_into_a_non_empty_database_is_refused_and_changes_nothing(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    with app.tx() as session:
        session.add(Alert(kind="after", message="not in the backup"))
    before = {t: _rows(settings.database_url, t) for t in ("alerts", "orgs", "users")}

    with pytest.raises(Conflict, match="not empty") as caught:
        backups.restore(settings, report.path)

    assert "alerts (301 rows)" in str(caught.value)
    assert "alembic_version" in str(caught.value)
    assert {t: _rows(settings.database_url, t) for t in before} == before


def test_restore_into_a_migrated_but_empty_database_is_refused(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    report = backups.backup(app, tmp_path / "b.backup")
    engine = create_db_engine(restore_url)
    migrate.upgrade(engine)
    engine.dispose()
    with pytest.raises(Conflict, match="alembic_version"):
        backups.restore(_target(settings, restore_url), report.path)


def test_restore_refuses_a_target_holding_anything_else(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    report = backups.backup(app, tmp_path / "b.backup")
    if restore_url.startswith("sqlite"):
        target = Path(make_url(restore_url).database or "")
        target.parent.mkdir(parents=True)
        target.write_bytes(b"not a database at all, but somebody's file")
        with pytest.raises(Conflict, match="not an empty SQLite database"):
            backups.restore(_target(settings, restore_url), report.path)
        assert target.read_bytes() == b"not a database at all, but somebody's file"
        return
    engine = create_db_engine(restore_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE stray (x integer)"))
        with pytest.raises(Conflict, match=r"empty tables stray"):
            backups.restore(_target(settings, restore_url), report.path)
        assert sa.inspect(engine).get_table_names() == ["stray"]
    finally:
        engine.dispose()


def test_a_corrupted_backup_is_refused_by_checksum_before_anything_is_written(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    data = bytearray(report.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.path.write_bytes(bytes(data))

    with pytest.raises(ValidationError, match="SHA-256"):
        backups.restore(_target(settings, restore_url), report.path)

    if restore_url.startswith("sqlite"):
        assert not Path(make_url(restore_url).database or "").exists()
    else:
        engine = create_db_engine(restore_url)
        try:
            assert sa.inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_backup_and_manifest_are_readable_by_their_owner_only(app: App, tmp_path: Path) -> None:
    _seed(app)  # password and TOTP hashes: nobody else on the machine may read them
    previous = os.umask(0)  # the most permissive umask: the mode must not depend on it
    try:
        report = backups.backup(app, tmp_path / "b.backup")
        again = backups.backup(app, tmp_path / "b.backup", overwrite=True)
    finally:
        os.umask(previous)
    for made in (report, again):
        assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(made.manifest_path.stat().st_mode) == 0o600


def _tamper(report: backups.BackupReport) -> None:
    """Change the backup's data and write the matching plain SHA-256 into its manifest."""
    if report.backend == "sqlite":
        with closing(sqlite3.connect(report.path)) as conn, conn:
            conn.execute("UPDATE users SET password_hash = 'attacker-chosen'")
    else:
        data = bytearray(report.path.read_bytes())
        data[len(data) // 2] ^= 0x01
        report.path.write_bytes(bytes(data))
    manifest = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    manifest["sha256"] = backups.file_sha256(report.path)
    report.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


def _assert_nothing_restored(restore_url: str) -> None:
    if restore_url.startswith("sqlite"):
        assert not Path(make_url(restore_url).database or "").exists()
        return
    engine = create_db_engine(restore_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_a_tampered_backup_with_a_recomputed_sha256_is_refused_by_its_hmac(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    manifest = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    assert manifest["hmac"]["key_fingerprint"] == app.keyring.fingerprints[0]
    assert len(manifest["hmac"]["value"]) == 64
    assert crypto.generate_key() not in report.manifest_path.read_text(encoding="utf-8")
    _tamper(report)

    with pytest.raises(ValidationError, match="HMAC") as caught:
        backups.restore(_target(settings, restore_url), report.path)

    assert "nothing was restored" in str(caught.value)
    assert settings.secret_key not in str(caught.value)
    _assert_nothing_restored(restore_url)


def test_a_backup_restores_after_a_key_rotation(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    rotated = f"{crypto.generate_key()},{settings.secret_key}"  # new key first, old kept
    restored = backups.restore(
        replace(_target(settings, restore_url), secret_key=rotated), report.path
    )
    assert restored.ok and restored.missing_keys == [] and restored.warnings == []


def test_a_restore_with_other_keys_is_refused_before_anything_is_written(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    other = crypto.Keyring([crypto.generate_key()])
    target = replace(_target(settings, restore_url), secret_key=other.keys[0])

    with pytest.raises(ConfigurationError, match="keys not configured here") as caught:
        backups.restore(target, report.path)

    message = str(caught.value)
    assert app.keyring.fingerprints[0] in message and "nothing was restored" in message
    assert settings.secret_key not in message and other.keys[0] not in message
    _assert_nothing_restored(restore_url)


def test_a_restore_without_any_key_cannot_check_the_hmac_and_is_refused(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    report = backups.backup(app, tmp_path / "b.backup")
    target = replace(_target(settings, restore_url), secret_key="", data_dir=tmp_path / "bare")
    with pytest.raises(ConfigurationError, match="no encryption key"):
        backups.restore(target, report.path)
    _assert_nothing_restored(restore_url)


def test_a_backup_made_before_hmacs_still_restores_with_a_warning(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    _seed(app)
    report = backups.backup(app, tmp_path / "b.backup")
    manifest = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    del manifest["hmac"]  # as orderhub wrote manifests before it signed them
    report.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    restored = backups.restore(_target(settings, restore_url), report.path)

    assert restored.ok
    assert len(restored.warnings) == 1 and "no HMAC" in restored.warnings[0]
    assert restored.as_dict()["warnings"] == restored.warnings


def test_a_backup_without_its_manifest_is_refused(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    report = backups.backup(app, tmp_path / "b.backup")
    report.manifest_path.unlink()
    with pytest.raises(ValidationError, match="manifest"):
        backups.restore(_target(settings, restore_url), report.path)


def test_a_backup_restores_only_into_the_same_kind_of_database(
    app: App, settings: Settings, restore_url: str, tmp_path: Path
) -> None:
    report = backups.backup(app, tmp_path / "b.backup")
    manifest = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    other = "postgresql" if manifest["backend"] == "sqlite" else "sqlite"
    manifest["backend"] = other  # as if the file had come from the other kind of database
    report.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(NotSupported, match=f"restores only into {other}"):
        backups.restore(_target(settings, restore_url), report.path)


def test_backup_does_not_overwrite_unless_asked(app: App, tmp_path: Path) -> None:
    _seed(app)
    path = tmp_path / "b.backup"
    first = backups.backup(app, path)
    # Nobody writes here, so SQLite's copy goes page by page without restarting.
    assert first.method == ("paged" if app.engine.dialect.name == "sqlite" else "pg_dump")
    with pytest.raises(Conflict, match="already exists"):
        backups.backup(app, path)
    with app.tx() as session:
        session.add(Alert(kind="more", message="x"))
    second = backups.backup(app, path, overwrite=True)
    assert second.tables["alerts"] == first.tables["alerts"] + 1
    assert not list(tmp_path.glob("*.partial"))


def test_pg_tools_never_see_the_password_on_the_command_line() -> None:
    conninfo, env = pg_conninfo("postgresql://orderhub:s3cr%40t@db.example:5433/hub")
    assert "s3cr" not in conninfo
    assert conninfo == "postgresql://orderhub@db.example:5433/hub"
    assert env == {"PGPASSWORD": "s3cr@t"}
    scrubbed = redact("failed for postgresql://u:s3cr@t@host/db and s3cr@t", env)
    assert "s3cr" not in scrubbed


def test_tool_output_is_redacted_in_every_password_form() -> None:
    scrubbed = redact("host=db password=s3cr3t and postgresql://db/x?password=s3cr3t", {})
    assert "s3cr" not in scrubbed


def test_a_password_given_as_query_parameter_stays_off_the_command_line() -> None:
    conninfo, env = pg_conninfo(
        "postgresql://orderhub@db.example/hub?sslmode=require&password=s3cr%26t"
    )
    assert "s3cr" not in conninfo and "password" not in conninfo
    assert conninfo == "postgresql://orderhub@db.example/hub?sslmode=require"
    assert env == {"PGPASSWORD": "s3cr&t"}


# --- the command line --------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> None:
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", settings.secret_key)


def test_cli_backup_and_restore_end_to_end(
    app: App,
    cli_env: None,
    restore_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(app)
    path = tmp_path / "cli.backup"
    assert main(["backup", str(path)]) == 0
    out = capsys.readouterr().out
    sha = backups.file_sha256(path)
    assert sha in out and "alerts" in out and str(SEED_ALERTS) in out

    monkeypatch.setenv("ORDERHUB_DATABASE_URL", restore_url)
    assert main(["restore", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["sha256"] == sha
    assert result["missing_keys"] == []
    alerts = next(t for t in result["tables"] if t["table"] == "alerts")
    assert alerts == {
        "table": "alerts",
        "expected": SEED_ALERTS,
        "restored": SEED_ALERTS,
        "ok": True,
    }

    assert main(["restore", str(path)]) == 1  # now it is not empty any more
    assert "not empty" in capsys.readouterr().err


def test_cli_restore_exits_non_zero_when_counts_differ(
    app: App,
    cli_env: None,
    restore_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(app)
    path = tmp_path / "cli.backup"
    assert main(["--json", "backup", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["alerts"] == SEED_ALERTS
    manifest_file = backups.manifest_path(path)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["tables"]["alerts"] += 1  # the manifest promises a row the file does not hold
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")

    monkeypatch.setenv("ORDERHUB_DATABASE_URL", restore_url)
    assert main(["restore", str(path)]) == 1
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out
    assert "differs from the manifest" in captured.err


def test_cli_restore_warns_of_data_keys_missing_here(
    app: App,
    cli_env: None,
    settings: Settings,
    restore_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(app)
    newest = crypto.generate_key()
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", f"{newest},{settings.secret_key}")  # mid-rotation
    path = tmp_path / "cli.backup"
    assert main(["backup", str(path)]) == 0
    capsys.readouterr()

    # The HMAC is under the newest key, which is here; the older key (data) is not.
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", restore_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", newest)
    assert main(["restore", str(path)]) == 0
    err = capsys.readouterr().err
    assert "keys not configured here" in err
    assert crypto.fingerprint(settings.secret_key) in err


def test_cli_restore_with_other_keys_fails_clearly(
    app: App,
    cli_env: None,
    restore_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cli.backup"
    assert main(["backup", str(path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", restore_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", crypto.generate_key())
    assert main(["restore", str(path)]) == 1
    captured = capsys.readouterr()
    assert "keys not configured here" in captured.err
    assert "nothing was restored" in captured.err
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_cli_restore_of_a_backup_without_hmac_warns(
    app: App,
    cli_env: None,
    restore_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cli.backup"
    assert main(["backup", str(path)]) == 0
    capsys.readouterr()
    manifest_file = backups.manifest_path(path)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    del manifest["hmac"]
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", restore_url)
    assert main(["restore", str(path)]) == 0
    assert "orderhub: warning: " in capsys.readouterr().err


def test_cli_restore_of_a_missing_file_names_it(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["restore", str(tmp_path / "nope.backup")]) == 1
    assert "does not exist" in capsys.readouterr().err
