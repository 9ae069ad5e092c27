"""Settings: a TOML file, then `ORDERHUB_*` environment overrides, then defaults.

Why both: the file is what a merchant edits once; the environment is what containers, CI and
several worker processes on several machines use to point at the same PostgreSQL.

Lookup of the file: `ORDERHUB_CONFIG`, else `<user config dir>/orderhub/orderhub.toml`.
Environment names are `ORDERHUB_<FIELD>` for top-level fields and `ORDERHUB_<SECTION>_<FIELD>`
for sections, e.g. `ORDERHUB_DATABASE_URL`, `ORDERHUB_AUTH_LOCKOUT_THRESHOLD`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

import platformdirs

from core.errors import ConfigurationError
from core.masking import mask_dsn

APP_NAME = "orderhub"
SECRET_FIELDS = {"secret_key", "database_url"}
SECRET_WORDS = ("secret", "token", "password", "key")
TABLES_ENV = "ORDERHUB_PLATFORMS__"


@dataclass(frozen=True)
class AuthSettings:
    """Login policy. Defaults follow common practice for staff accounts."""

    lockout_threshold: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    api_token_days: int = 365
    verification_code_minutes: int = 15
    verification_code_attempts: int = 5
    password_min_length: int = 10
    # argon2id cost; tests lower these, production keeps argon2-cffi's defaults.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4


@dataclass(frozen=True)
class PluginSettings:
    """Which plugins load. Tests set `only` so stray installed plugins stay out."""

    trace: bool = False
    disabled: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    notifiers: tuple[str, ...] = ("log",)


@dataclass(frozen=True)
class SyncSettings:
    """Order sync defaults; each shop may override its interval (1–60 minutes)."""

    interval_minutes: int = 5
    # Each window starts this much before the last cursor, to catch late platform writes.
    overlap_seconds: int = 300
    # A shop whose syncs fail this many times in a row raises an alert.
    alert_after_failures: int = 3
    # How long a worker's claim on a shop lasts without renewal (crashed workers time out).
    lease_seconds: int = 120
    # How far back a shop's first sync reaches.
    initial_days: int = 3
    # Processes that read and prepare windows while the syncing process writes, for passes
    # of at least `parallel_min_windows` windows (a first sync, a backfill, catching up).
    # -1: one per CPU (at most 4); 0: read in a thread of the syncing process.
    read_processes: int = -1
    parallel_min_windows: int = 8


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    # Not in repr: a Settings printed in a traceback or a log must not show secrets.
    database_url: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    key_file: Path | None = None
    log_level: str = "INFO"
    auth: AuthSettings = field(default_factory=AuthSettings)
    plugins: PluginSettings = field(default_factory=PluginSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    # Per-platform app settings, e.g. [platforms.pinduoduo] client_id / client_secret /
    # gateway_url. Environment: ORDERHUB_PLATFORMS__PINDUODUO__CLIENT_SECRET=….
    platforms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    source: str = "defaults"

    def platform_settings(self, name: str) -> Mapping[str, Any]:
        """The options of one platform plugin (empty when none are configured)."""
        return self.platforms.get(name, {})

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
    settings = _build(Settings, data, env, prefix="ORDERHUB_", where=str(path))
    settings = replace(settings, source=source, **overrides)
    return settings


def setting_env_names(cls: type = Settings, prefix: str = "ORDERHUB_") -> list[str]:
    """Every environment variable `load_settings` reads for a setting (same rule as `_build`).

    `orderhub config show` uses it to say which variables shaped the effective settings.
    """
    hints = get_type_hints(cls)
    names: list[str] = []
    for f in fields(cls):
        if f.name == "source":
            continue
        if f.name == "platforms":
            names.append(TABLES_ENV + "<PLATFORM>__<OPTION>")
        elif is_dataclass(hints[f.name]):
            names += setting_env_names(hints[f.name], f"{prefix}{f.name.upper()}_")
        else:
            names.append(f"{prefix}{f.name.upper()}")
    return names


def _build(cls: type, data: dict[str, Any], env: dict[str, str], prefix: str, where: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name == "source":
            continue
        hint = hints[f.name]
        if f.name == "platforms":
            values[f.name] = _plugin_tables(data.get(f.name, {}), env, where)
            continue
        if is_dataclass(hint):
            section = data.get(f.name, {})
            if not isinstance(section, dict):
                raise ConfigurationError(f"{where}: [{f.name}] must be a table")
            values[f.name] = _build(hint, section, env, f"{prefix}{f.name.upper()}_", where)
            continue
        env_name = f"{prefix}{f.name.upper()}"
        if env_name in env:
            values[f.name] = _coerce(hint, env[env_name], env_name)
        elif f.name in data:
            values[f.name] = _coerce(hint, data[f.name], f"{where}: {f.name}")
    return cls(**values)


def _plugin_tables(data: Any, env: dict[str, str], where: str) -> dict[str, dict[str, Any]]:
    """`[platforms.NAME]` tables from the file, overridden by ORDERHUB_PLATFORMS__NAME__KEY."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigurationError(f"{where}: [platforms] must hold one table per platform")
    tables = {name: dict(options) for name, options in data.items()}
    for variable, value in env.items():
        if not variable.startswith(TABLES_ENV):
            continue
        parts = variable[len(TABLES_ENV) :].split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigurationError(
                f"{variable}: expected ORDERHUB_PLATFORMS__<PLATFORM>__<OPTION>"
            )
        tables.setdefault(parts[0].lower(), {})[parts[1].lower()] = value
    return tables


def _coerce(hint: Any, raw: Any, where: str) -> Any:
    text = str(hint)
    try:
        if hint is bool:
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if hint is int:
            return int(raw)
        if "Path" in text:
            return Path(raw).expanduser() if raw not in ("", None) else None
        if "tuple" in text:
            if isinstance(raw, list | tuple):
                return tuple(str(x) for x in raw)
            return tuple(x.strip() for x in str(raw).split(",") if x.strip())
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where}: cannot read {raw!r} as {hint}: {exc}") from exc


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
        if f.name == "platforms":
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
