"""First-run set-up and the installation's health report (`orderhub init`, `orderhub status`).

Why in core: the CLI is the first caller, but a TUI first-run screen or an API health
endpoint must give the same answers, so the steps and the checks live here once.

`initialise` is safe to re-run: each step does nothing when its work is already done, and
the first org is created only while no org exists. A lost key file is never silently
replaced once the database holds data, because a new key cannot decrypt old secrets.
"""

from __future__ import annotations

import secrets
import stat
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from core import crypto, migrate
from core.accounts import passwords, users
from core.alertdesk.listing import open_counts
from core.config import AuthSettings, Settings
from core.db import create_db_engine, normalise_url
from core.errors import ConfigurationError, ValidationError
from core.masking import mask_dsn
from core.models import Org, User
from core.plugins.host import PluginHost
from core.startup import open_app
from core.workers.overview import WorkersOverview
from core.workers.overview import overview as worker_overview

# Given the admin's user name, returns the password to set. Called only when the first
# org is really created, so a re-run never prompts.
PasswordSource = Callable[[str], str]

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class InitReport:
    """What `initialise` found and did, step by step."""

    data_dir: str
    database_url: str  # masked
    key_source: str  # "ORDERHUB_SECRET_KEY" or "key file"
    key_file: str | None
    key_file_created: bool
    revision_before: str | None
    revision: str | None
    org_created: str | None = None
    admin_created: str | None = None
    existing_orgs: list[str] = field(default_factory=list)

    @property
    def already_initialised(self) -> bool:
        return self.org_created is None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "already_initialised": self.already_initialised}


def generate_password(username: str, auth: AuthSettings) -> str:
    """A random password of 20 letters and digits (~119 bits), or as many as the policy's
    minimum length when that is longer, that passes the policy."""
    length = max(20, auth.password_min_length)
    while True:
        candidate = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        try:
            passwords.check_policy(candidate, username, auth)
        except ValidationError:
            continue
        return candidate


def initialise(
    settings: Settings,
    *,
    org_name: str,
    admin_username: str,
    password_for: PasswordSource,
    contact: str = "",
    actor_label: str = "init",
) -> InitReport:
    """Data directory, key file, schema at head, then the first org and its admin if none."""

    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_db_engine(settings.effective_database_url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
        org_names = _org_names(engine)
    finally:
        engine.dispose()

    key_created = _ensure_key(settings, database_has_data=bool(org_names))
    report = InitReport(
        data_dir=str(settings.data_dir),
        database_url=mask_dsn(settings.effective_database_url),
        key_source="ORDERHUB_SECRET_KEY" if settings.secret_key else "key file",
        key_file=None if settings.secret_key else str(settings.effective_key_file),
        key_file_created=key_created,
        revision_before=before,
        revision=after,
        existing_orgs=org_names,
    )
    if org_names:
        # Prove the configured keys load (mode 0600, valid Fernet) even when nothing is created.
        crypto.keyring_from(settings.secret_key, settings.effective_key_file)
        return report

    username = users.validate_username(admin_username)  # fail before asking for a password
    app = open_app(settings)
    try:
        org, user = users.create_org_with_admin(
            app, org_name, username, password_for(username), contact, actor_label
        )
    finally:
        app.close()
    return replace(report, org_created=org.name, admin_created=user.username)


def _ensure_key(settings: Settings, *, database_has_data: bool) -> bool:
    """Create the key file unless keys come from the environment; True when created."""
    if settings.secret_key:
        return False
    path = settings.effective_key_file
    if not path.exists() and database_has_data:
        raise ConfigurationError(
            f"the database is already initialised but the key file {path} is missing; "
            "restore it from your backup (or set ORDERHUB_SECRET_KEY): a new key could not "
            "decrypt the secrets already stored"
        )
    return crypto.create_key_file(path)


def _org_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Org.name).order_by(Org.id)))


# ------------------------------------------------------------------------- status


@dataclass(frozen=True)
class StatusReport:
    """A read-only look at the installation. Gathering it never creates or changes anything."""

    backend: str
    database_url: str  # masked
    data_dir: str
    key_source: str
    key_file: str | None
    key_file_exists: bool | None
    key_file_mode: str | None  # octal, e.g. "600"
    revision: str | None
    head: str | None
    schema: str  # "up to date" | "needs `orderhub init`" | explanation of a problem
    orgs: int | None
    users: int | None
    problems: list[str] = field(default_factory=list)
    plugins: list[dict[str, Any]] = field(default_factory=list)
    # Suspicious but not wrong (unknown ORDERHUB_* variables, a table for no platform).
    warnings: list[str] = field(default_factory=list)
    # Open (unacknowledged) alerts of the whole installation by severity; None when the
    # database could not be read. `orderhub alerts list` shows them.
    alerts: dict[str, int] | None = None
    # The registered workers and the leases held (None when the schema is not at head).
    workers: WorkersOverview | None = None

    @property
    def schema_up_to_date(self) -> bool:
        return self.head is not None and self.revision == self.head

    def as_dict(self) -> dict[str, Any]:
        workers = self.workers.as_dict() if self.workers is not None else None
        return {**asdict(self), "workers": workers, "schema_up_to_date": self.schema_up_to_date}


def status_report(settings: Settings) -> StatusReport:
    """Backend, keys, schema revision against head, counts, the loaded plugins and the
    `[platforms.*]` tables checked by the plugins they configure."""
    url = normalise_url(settings.effective_database_url)
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:  # a port that is not a number: ValueError
        shown = mask_dsn(settings.effective_database_url)
        raise ConfigurationError(
            f"database URL {shown!r} is not valid: {mask_dsn(str(exc))}"
        ) from None
    problems: list[str] = []
    key_exists, key_mode = _key_file_state(settings, problems)
    head = migrate.head_revision()
    revision, orgs, users, schema, alerts, workers = _database_state(
        url, backend, head, problems, settings.worker.heartbeat_seconds
    )
    warnings = list(settings.warnings)
    plugins = _plugins(settings, problems, warnings)
    return StatusReport(
        backend=backend,
        database_url=mask_dsn(settings.effective_database_url),
        data_dir=str(settings.data_dir),
        key_source="ORDERHUB_SECRET_KEY" if settings.secret_key else "key file",
        key_file=None if settings.secret_key else str(settings.effective_key_file),
        key_file_exists=key_exists,
        key_file_mode=key_mode,
        revision=revision,
        head=head,
        schema=schema,
        orgs=orgs,
        users=users,
        problems=problems,
        plugins=plugins,
        warnings=warnings,
        alerts=alerts,
        workers=workers,
    )


def _key_file_state(settings: Settings, problems: list[str]) -> tuple[bool | None, str | None]:
    if settings.secret_key:
        return None, None
    path = settings.effective_key_file
    if not path.exists():
        problems.append(f"key file {path} does not exist: run `orderhub init`")
        return False, None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        problems.append(f"key file {path} is readable by others (mode {mode:o}): chmod 600 it")
    return True, f"{mode:o}"


def _database_state(
    url: str, backend: str, head: str | None, problems: list[str], heartbeat_seconds: int
) -> tuple[str | None, int | None, int | None, str, dict[str, int] | None, WorkersOverview | None]:
    """(revision, orgs, users, schema verdict, open alerts by severity, workers and
    leases); connection failures become `problems`."""
    if backend == "sqlite":
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return None, None, None, "no database yet: needs `orderhub init`", None, None
    try:
        engine = create_db_engine(url)
    except ConfigurationError as exc:
        problems.append(str(exc))
        return None, None, None, "unknown (database not reachable)", None, None
    try:
        revision = migrate.current_revision(engine)
        counts: tuple[int | None, int | None] = (None, None)
        alerts = workers = None
        if revision is not None:
            with engine.connect() as conn:
                counts = (
                    conn.scalar(select(func.count()).select_from(Org)),
                    conn.scalar(select(func.count()).select_from(User)),
                )
                alerts = open_counts(conn)
                if revision == head:  # the registry's table exists
                    workers = worker_overview(conn, heartbeat_seconds)
    except SQLAlchemyError as exc:
        problems.append(f"database not reachable: {_first_line(exc)}")
        return None, None, None, "unknown (database not reachable)", None, None
    finally:
        engine.dispose()
    return revision, *counts, _schema_verdict(revision, head), alerts, workers


def _schema_verdict(revision: str | None, head: str | None) -> str:
    if revision == head:
        return "up to date"
    if revision is not None:
        known = ScriptDirectory.from_config(migrate.alembic_config())
        if not any(rev.revision == revision for rev in known.walk_revisions()):
            return f"revision {revision} is unknown to this orderhub (is the database newer?)"
    return "needs `orderhub init`"


def _plugins(settings: Settings, problems: list[str], warnings: list[str]) -> list[dict[str, Any]]:
    """Load plugins as every process does (no database or keys needed) and describe them."""

    host = PluginHost(settings.plugins)
    host.load()
    rows = [row.as_dict() for row in host.describe()]
    problems += [f"plugin {row['name']}: {row['error']}" for row in rows if row["error"]]
    _check_platform_tables(settings, host, problems, warnings)
    return rows


def _check_platform_tables(
    settings: Settings, host: PluginHost, problems: list[str], warnings: list[str]
) -> None:
    """Each `[platforms.NAME]` table goes to the platform plugin NAME, which checks its own
    keys when built (`ConfigurationError` for a missing or misspelt one): build it once
    here, so a typo shows now rather than at the first sync. A table no loaded plugin
    reads is a warning (the plugin may be disabled on purpose)."""
    platforms = host.platforms()
    for name, options in sorted(settings.platforms.items()):
        cls = platforms.get(name)
        if cls is None:
            loaded = ", ".join(sorted(platforms)) or "none"
            warnings.append(
                f"[platforms.{name}]: no platform plugin {name!r} is loaded (loaded: {loaded}); "
                "its settings are not used"
            )
            continue
        try:
            instance = cls(options, None)
        except Exception as exc:  # a third-party plugin may raise anything on bad settings
            problems.append(f"[platforms.{name}]: {mask_dsn(str(exc))}")
            continue
        close = getattr(instance, "close", None)
        if callable(close):
            close()


def _first_line(exc: BaseException) -> str:
    text = mask_dsn(str(getattr(exc, "orig", None) or exc))
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
