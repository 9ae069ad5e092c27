"""Settings: a TOML file, then `ORDERHUB_*` environment overrides, then defaults.

Why both: the file is what a merchant edits once; the environment is what containers, CI and
several worker processes on several machines use to point at the same PostgreSQL.

Lookup of the file: `ORDERHUB_CONFIG`, else `<user config dir>/orderhub/orderhub.toml`.
Environment names are `ORDERHUB_<FIELD>` for top-level fields and `ORDERHUB_<SECTION>_<FIELD>`
for sections, e.g. `ORDERHUB_DATABASE_URL`, `ORDERHUB_AUTH_LOCKOUT_THRESHOLD`.

Every setting has a type and, for numbers, a range (`_between`): a value outside it is a
`ConfigurationError` naming the variable or file key and what is allowed, whether it comes
from the file, the environment or code (`__post_init__`), so a typo cannot turn a lockout
into none or a session into one that never ends.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

import platformdirs

from core.errors import ConfigurationError
from core.masking import mask_dsn

log = logging.getLogger("orderhub.config")

APP_NAME = "orderhub"
SECRET_FIELDS = {"secret_key", "database_url"}
SECRET_WORDS = ("secret", "token", "password", "key")
TABLES_ENV = "ORDERHUB_PLATFORMS__"
#: Settings that are one table of options per plugin: field → environment prefix.
PLUGIN_TABLES = {"platforms": TABLES_ENV, "notifiers": "ORDERHUB_NOTIFIERS__"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DATABASE_URL = re.compile(r"(sqlite|postgres|postgresql)(\+\w+)?://")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
#: ORDERHUB_* variables that are not settings (read where noted), so never "unknown".
OTHER_ENV = {
    "ORDERHUB_CONFIG": "the config file's path (default_config_path)",
    "ORDERHUB_TRACE_PLUGINS": "core.plugins.host: trace hook calls",
    "ORDERHUB_ADMIN_PASSWORD": "orderhub init: the first admin's password",
    "ORDERHUB_TEST_PG_URL": "the tests and bench/: a PostgreSQL server to use",
    "ORDERHUB_CHAOS_SEED": "tests/sync/test_chaos.py: repeat a run",
    "ORDERHUB_EXTRAS": "./run: the extras to install",
}


def _between(default: int, low: int, high: int, unit: str) -> Any:
    """An int setting that must lie in `low`..`high`; `unit` goes into the message."""
    return field(default=default, metadata={"range": (low, high, unit)})


def _log_level(value: str, where: str) -> None:
    if value.upper() not in LOG_LEVELS:
        raise ConfigurationError(
            f"{where} must be {', '.join(LOG_LEVELS[:-1])} or CRITICAL, not {value!r}"
        )


def _database_url(value: str, where: str) -> None:
    if value and not _DATABASE_URL.match(value):
        raise ConfigurationError(
            f"{where}: database URL {mask_dsn(value)!r} is not valid: use "
            "sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        )


def _directory(value: Path | None, where: str) -> None:
    if value is None or not str(value):
        raise ConfigurationError(f"{where} must name a directory, not be empty")


@dataclass(frozen=True)
class AuthSettings:
    """Login policy. Defaults follow common practice for staff accounts."""

    lockout_threshold: int = _between(5, 1, 100, "failed sign-ins")
    lockout_minutes: int = _between(15, 1, 10_080, "minutes")
    session_hours: int = _between(12, 1, 720, "hours")
    api_token_days: int = _between(365, 1, 3650, "days")
    verification_code_minutes: int = _between(15, 1, 1440, "minutes")
    verification_code_attempts: int = _between(5, 1, 100, "attempts")
    password_min_length: int = _between(10, 8, 64, "characters")
    # argon2id cost; tests lower these, production keeps argon2-cffi's defaults.
    argon2_time_cost: int = _between(3, 1, 100, "passes")
    argon2_memory_kib: int = _between(65536, 8, 4_194_304, "KiB")
    argon2_parallelism: int = _between(4, 1, 64, "lanes")

    SECTION: ClassVar[str] = "auth"

    def __post_init__(self) -> None:
        _check_fields(self)
        lanes, memory = self.argon2_parallelism, self.argon2_memory_kib
        if memory < 8 * lanes:  # argon2's own rule; it would fail at the first sign-in
            raise ConfigurationError(
                "auth.argon2_memory_kib (ORDERHUB_AUTH_ARGON2_MEMORY_KIB) must be at least "
                f"8 KiB per lane of auth.argon2_parallelism: {8 * lanes} KiB, not {memory}",
                setting="auth.argon2_memory_kib",
            )


@dataclass(frozen=True)
class PluginSettings:
    """Which plugins load. Tests set `only` so stray installed plugins stay out."""

    trace: bool = False
    disabled: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    notifiers: tuple[str, ...] = ("log",)

    SECTION: ClassVar[str] = "plugins"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class SyncSettings:
    """Order sync defaults; each shop may override its interval (1–60 minutes)."""

    interval_minutes: int = _between(5, 1, 60, "minutes")
    # Each window starts this much before the last cursor, to catch late platform writes.
    overlap_seconds: int = _between(300, 0, 86_400, "seconds")
    # A shop whose syncs fail this many times in a row raises an alert.
    alert_after_failures: int = _between(3, 1, 1000, "failures")
    # How long a worker's claim on a shop lasts without renewal (crashed workers time out).
    lease_seconds: int = _between(120, 10, 3600, "seconds")
    # How far back a shop's first sync reaches.
    initial_days: int = _between(3, 1, 90, "days")
    # Processes that read and prepare windows while the syncing process writes, for passes
    # of at least `parallel_min_windows` windows (a first sync, a backfill, catching up).
    # -1: one per CPU (at most 4); 0: read in a thread of the syncing process.
    read_processes: int = _between(-1, -1, 64, "processes; -1: one per CPU")
    parallel_min_windows: int = _between(8, 1, 100_000, "windows")

    SECTION: ClassVar[str] = "sync"

    def __post_init__(self) -> None:
        _check_fields(self)


def _forward_severity(value: str, where: str) -> None:
    if value not in ("info", "warning", "critical", "off"):
        raise ConfigurationError(f"{where} must be info, warning, critical or off, not {value!r}")


@dataclass(frozen=True)
class AlertSettings:
    """Which alerts reach people through the notifiers, and the order checks (docs/guide.md)."""

    # Alerts at or above this severity are forwarded once each; "off" forwards none.
    forward_severity: str = field(default="critical", metadata={"check": _forward_severity})
    # The notifiers alerts are forwarded through; empty: those of [plugins] notifiers.
    notifiers: tuple[str, ...] = ()
    # Who a forwarded alert is addressed to (e-mail goes to [notifiers.email] to if not an address).
    recipient: str = "operators"
    # Only alerts raised this recently are forwarded: a new channel does not replay history.
    forward_hours: int = _between(24, 1, 720, "hours")
    # Overdue to ship: warn this long before an order's promised ship-by time (0: only after).
    ship_due_hours: int = _between(12, 0, 720, "hours")

    SECTION: ClassVar[str] = "alerts"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class ShipbackSettings:
    """Ship-back (确认发货): how workers drain the shipment outbox (`core.shipback`)."""

    # How long a worker's claim on outbox rows lasts; a killed worker's rows come due then.
    lease_seconds: int = _between(120, 10, 3600, "seconds")
    # Rows one worker claims at a time (one status look-up per 100 of them).
    batch_size: int = _between(50, 1, 1000, "rows")
    # Confirmations one worker has in flight at once (threads waiting on the platform).
    send_concurrency: int = _between(4, 1, 32, "calls")
    # Transient failures wait base * 2**(attempt-1) seconds (with jitter), at most max.
    retry_base_seconds: int = _between(10, 0, 3600, "seconds")
    retry_max_seconds: int = _between(900, 1, 86_400, "seconds")
    # Open rows older than this raise the `shipback.backlog` alert.
    backlog_alert_minutes: int = _between(30, 1, 10_080, "minutes")

    SECTION: ClassVar[str] = "shipback"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class WorkerSettings:
    """`orderhub worker`: its heartbeat, and the print jobs it spools (docs/deploy.md)."""

    # How often a worker writes "still here" to the registry; `orderhub status` counts a
    # worker running while it was seen within three of these.
    heartbeat_seconds: int = _between(15, 1, 600, "seconds")
    # Spool queued print jobs to their printers (false: this worker prints nothing).
    print_jobs: bool = True
    # The printers (by name, in any org) this worker prints to; empty: every printer a
    # worker can reach from any machine — all but `usb` and `pinduoduo-component`, which
    # live on one PC; "*": every printer. A job is taken only when all its printers are.
    printers: tuple[str, ...] = ()
    # How long a worker's claim on a print job lasts without a label sent (renewed at
    # every label; above the print component's 60 s wait for a result); a killed
    # worker's job is taken over then (at once by a worker of the same host).
    print_lease_seconds: int = _between(180, 90, 3600, "seconds")

    SECTION: ClassVar[str] = "worker"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class StockSettings:
    """The replenishment report's defaults (`core.stock.replenishment`)."""

    # Replenishment: sales velocity over this many days, and the defaults of SKUs that
    # set none (lead time: days from ordering to arrival; review: days between orders).
    window_days: int = _between(30, 1, 365, "days")
    lead_time_days: int = _between(7, 0, 365, "days")
    review_days: int = _between(7, 0, 365, "days")
    safety_stock: int = _between(0, 0, 10_000_000, "units")

    SECTION: ClassVar[str] = "stock"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class ApiSettings:
    """The HTTP API's limits (`api.app`): per-token rate limit and request body size."""

    # Token bucket per bearer token (or client address before login), per process.
    rate_per_minute: int = _between(600, 1, 1_000_000, "requests a minute")
    burst: int = _between(60, 1, 100_000, "requests")
    max_body_bytes: int = _between(1_048_576, 1024, 104_857_600, "bytes")
    # Requests a process runs at once in its threads (core is synchronous); the others wait
    # in the event loop. More threads only fight over the GIL (bench/api_bench.py).
    threads: int = _between(4, 1, 256, "threads")
    # SQLite only: the API's processes read the database through a memory map this large
    # (`core.db.create_db_engine`); 0 turns it off. Resident memory grows with the pages
    # read; an I/O error on the file kills the process (SIGBUS) instead of failing a request.
    sqlite_mmap_mib: int = _between(4096, 0, 1_048_576, "MiB")

    SECTION: ClassVar[str] = "api"

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)),
        metadata={"check": _directory},
    )
    # Not in repr: a Settings printed in a traceback or a log must not show secrets.
    database_url: str = field(default="", repr=False, metadata={"check": _database_url})
    secret_key: str = field(default="", repr=False)
    key_file: Path | None = None
    log_level: str = field(default="INFO", metadata={"check": _log_level})
    auth: AuthSettings = field(default_factory=AuthSettings)
    plugins: PluginSettings = field(default_factory=PluginSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    shipback: ShipbackSettings = field(default_factory=ShipbackSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    # Per-platform app settings, e.g. [platforms.pinduoduo] client_id / client_secret /
    # gateway_url. Environment: ORDERHUB_PLATFORMS__PINDUODUO__CLIENT_SECRET=….
    platforms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    stock: StockSettings = field(default_factory=StockSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    # Per-notifier settings, e.g. [notifiers.webhook] url / secret; environment:
    # ORDERHUB_NOTIFIERS__WEBHOOK__SECRET=….
    notifiers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    source: str = "defaults"
    # What load_settings found suspicious but not wrong (unknown ORDERHUB_* variables).
    warnings: tuple[str, ...] = ()

    SECTION: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _check_fields(self)
        object.__setattr__(self, "log_level", self.log_level.upper())

    def platform_settings(self, name: str) -> Mapping[str, Any]:
        """The options of one platform plugin (empty when none are configured)."""
        return self.platforms.get(name, {})

    def notifier_settings(self, name: str) -> Mapping[str, Any]:
        """The options of one notifier plugin (empty when none are configured)."""
        return self.notifiers.get(name, {})

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'orderhub.db'}"

    @property
    def effective_key_file(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "secret.keys"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


def default_config_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get("ORDERHUB_CONFIG"):
        return Path(env["ORDERHUB_CONFIG"])
    return Path(platformdirs.user_config_dir(APP_NAME)) / "orderhub.toml"


def load_settings(
    path: Path | None = None, env: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the effective settings; unknown keys or wrong types are a ConfigurationError."""
    env = dict(os.environ) if env is None else env
    path = path or default_config_path(env)
    data: dict[str, Any] = {}
    source = "defaults"
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
        source = str(path)
    settings = _build(Settings, data, env, prefix="ORDERHUB_", where=f"{path}: ")
    warnings = tuple(unknown_env_warnings(env))
    for warning in warnings:
        log.warning("%s", warning)
    return replace(settings, source=source, warnings=warnings, **overrides)


def unknown_env_warnings(env: Mapping[str, str]) -> list[str]:
    """One line per ORDERHUB_* variable that is neither a setting nor in `OTHER_ENV`: an
    operator's typo would otherwise leave the setting at its default, unnoticed."""
    known = [name for name in setting_env_names() if "<" not in name]
    out = []
    for name in sorted(env):
        if not name.startswith("ORDERHUB_") or name.startswith(tuple(PLUGIN_TABLES.values())):
            continue
        if name in known or name in OTHER_ENV:
            continue
        close = difflib.get_close_matches(name, [*known, *OTHER_ENV], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{name} is not an orderhub setting and is ignored{hint}")
    return out


def setting_env_names(cls: type = Settings, prefix: str = "ORDERHUB_") -> list[str]:
    """Every environment variable `load_settings` reads for a setting (same rule as `_build`).

    `orderhub config show` uses it to say which variables shaped the effective settings.
    """
    hints = get_type_hints(cls)
    names: list[str] = []
    for f in fields(cls):
        if f.name in ("source", "warnings"):
            continue
        if cls is Settings and f.name in PLUGIN_TABLES:
            names.append(f"{PLUGIN_TABLES[f.name]}<{f.name.upper()[:-1]}>__<OPTION>")
        elif is_dataclass(hints[f.name]):
            names += setting_env_names(hints[f.name], f"{prefix}{f.name.upper()}_")
        else:
            names.append(f"{prefix}{f.name.upper()}")
    return names


def _build(cls: type, data: dict[str, Any], env: dict[str, str], prefix: str, where: str) -> Any:
    """`cls` from its file table `data` and the environment; `where` is "<file>: [section.]"
    so messages name the file key (`/etc/orderhub.toml: auth.lockout_minutes`)."""
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(f"{where.rstrip(': .')}: unknown setting(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in ("source", "warnings"):
            continue
        hint = hints[f.name]
        if cls is Settings and f.name in PLUGIN_TABLES:
            values[f.name] = _plugin_tables(data.get(f.name, {}), env, where.rstrip(": "), f.name)
            continue
        if is_dataclass(hint):
            section = data.get(f.name, {})
            if not isinstance(section, dict):
                raise ConfigurationError(f"{where.rstrip(': ')}: [{f.name}] must be a table")
            inner = f"{where}{f.name}."
            values[f.name] = _build(hint, section, env, f"{prefix}{f.name.upper()}_", inner)
            continue
        env_name = f"{prefix}{f.name.upper()}"
        if env_name in env:
            values[f.name] = _check(f, _coerce(f, hint, env[env_name], env_name), env_name)
        elif f.name in data:
            named = f"{where}{f.name}"
            values[f.name] = _check(f, _coerce(f, hint, data[f.name], named), named)
    return cls(**values)


def _plugin_tables(
    data: Any, env: dict[str, str], where: str, name: str = "platforms"
) -> dict[str, dict[str, Any]]:
    """`[platforms.NAME]` (or `[notifiers.NAME]`) tables from the file, overridden by
    ORDERHUB_PLATFORMS__NAME__KEY (ORDERHUB_NOTIFIERS__NAME__KEY)."""
    prefix, one = PLUGIN_TABLES[name], name.upper()[:-1]
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigurationError(f"{where}: [{name}] must hold one table per {one.lower()}")
    tables = {name: dict(options) for name, options in data.items()}
    for variable, value in env.items():
        if not variable.startswith(prefix):
            continue
        parts = variable[len(prefix) :].split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigurationError(f"{variable}: expected {prefix}<{one}>__<OPTION>")
        tables.setdefault(parts[0].lower(), {})[parts[1].lower()] = value
    return tables


def _coerce(f: Field[Any], hint: Any, raw: Any, where: str) -> Any:
    """`raw` (text from the environment, a TOML value from the file) as the field's type."""
    shown = _shown(f.name, raw)
    if hint is bool:
        word = raw.strip().lower() if isinstance(raw, str) else None
        if isinstance(raw, bool) or word in _TRUE | _FALSE:
            return raw if isinstance(raw, bool) else word in _TRUE
        raise ConfigurationError(f"{where} must be true or false, not {shown}", setting=f.name)
    if hint is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d+\s*", raw):
            return int(raw)
        raise ConfigurationError(f"{where} must be {_allowed(f)}, not {shown}", setting=f.name)
    if "tuple" in str(hint):
        items = [x for x in raw.split(",") if x.strip()] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
            raise ConfigurationError(
                f'{where} must be a list of names (["a", "b"]; a,b in the environment), '
                f"not {shown}",
                setting=f.name,
            )
        return tuple(x.strip() for x in items)
    if not isinstance(raw, str):
        raise ConfigurationError(f"{where} must be text, not {shown}", setting=f.name)
    if "Path" in str(hint):
        return Path(raw).expanduser() if raw else None
    return raw


def _check(f: Field[Any], value: Any, where: str) -> Any:
    """`value` when it is in the field's range and passes its check; else a ConfigurationError
    naming `where` (a variable, a file key or the dotted setting) and what is allowed."""
    bounds = f.metadata.get("range")
    if bounds is not None:
        number = isinstance(value, int) and not isinstance(value, bool)
        if not number or not bounds[0] <= value <= bounds[1]:
            shown = value if number else _shown(f.name, value)
            raise ConfigurationError(f"{where} must be {_allowed(f)}, not {shown}", setting=f.name)
    check = f.metadata.get("check")
    if check is not None:
        check(value, where)
    return value


def _check_fields(settings: Any) -> None:
    """Every field of a settings dataclass, named by its dotted key (`auth.lockout_minutes`)."""
    prefix = f"{settings.SECTION}." if settings.SECTION else ""
    for f in fields(settings):
        _check(f, getattr(settings, f.name), prefix + f.name)


def _allowed(f: Field[Any]) -> str:
    low, high, unit = f.metadata.get("range", (None, None, ""))
    if low is None:
        return "a whole number"
    return f"a whole number between {low} and {high} ({unit})"


def _shown(name: str, raw: Any) -> str:
    """A bad value as a message may quote it: never a secret, URLs masked."""
    if name in SECRET_FIELDS - {"database_url"} or any(w in name for w in ("secret", "token")):
        return "(hidden)"
    return repr(mask_dsn(raw) if isinstance(raw, str) else raw)


def mask_secret(name: str, value: Any) -> Any:
    """Mask secrets for display: secret-named settings entirely; in any other text, the
    passwords a URL or connection string may hold (`core.masking.mask_dsn`)."""
    # `key_file` is a path, not a secret, though its name contains "key".
    clear = name in ("database_url", "key_file")
    if name == "secret_key" or (not clear and any(w in name for w in SECRET_WORDS)):
        return "****" if value else ""
    if isinstance(value, str):
        return mask_dsn(value)
    return value


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    """The effective settings with secrets masked, for `orderhub config show`."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name in PLUGIN_TABLES:
            out[f.name] = {
                name: {k: mask_secret(k, v) for k, v in options.items()}
                for name, options in value.items()
            }
        elif is_dataclass(value):
            out[f.name] = {sf.name: _plain(getattr(value, sf.name)) for sf in fields(value)}
        else:
            out[f.name] = _plain(mask_secret(f.name, value))
    out["effective_database_url"] = mask_secret("database_url", settings.effective_database_url)
    out["effective_key_file"] = str(settings.effective_key_file)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
