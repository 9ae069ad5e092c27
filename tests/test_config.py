"""Settings: TOML file, ORDERHUB_* environment on top, defaults under both; secrets masked."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from cli.main import main
from core.config import (
    AuthSettings,
    SyncSettings,
    load_settings,
    mask_secret,
    setting_env_names,
    settings_as_dict,
)
from core.errors import ConfigurationError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", env={})
    assert settings.source == "defaults"
    assert settings.auth.lockout_threshold == 5
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_key_file == settings.data_dir / "secret.keys"


def test_file_values_then_environment_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path / "orderhub.toml",
        'log_level = "DEBUG"\ndata_dir = "/srv/oh"\n'
        "[auth]\nlockout_threshold = 7\nsession_hours = 8\n"
        '[plugins]\ndisabled = ["a", "b"]\n',
    )
    env = {
        "ORDERHUB_AUTH_LOCKOUT_THRESHOLD": "3",
        "ORDERHUB_DATABASE_URL": "postgresql://oh:pw@db/oh",
        "ORDERHUB_PLUGINS_DISABLED": "c, d",
        "ORDERHUB_PLUGINS_TRACE": "yes",
    }
    settings = load_settings(path, env=env)
    assert settings.source == str(path)
    assert settings.log_level == "DEBUG"  # file only
    assert settings.data_dir == Path("/srv/oh")
    assert settings.auth.session_hours == 8  # file only
    assert settings.auth.lockout_threshold == 3  # env beats file
    assert settings.auth.lockout_minutes == 15  # default
    assert settings.plugins.disabled == ("c", "d")  # env list, comma separated
    assert settings.plugins.trace is True
    assert settings.database_url == "postgresql://oh:pw@db/oh"
    assert not settings.is_sqlite


def test_orderhub_config_env_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere.toml", "[auth]\nlockout_minutes = 30\n")
    settings = load_settings(env={"ORDERHUB_CONFIG": str(path)})
    assert settings.source == str(path)
    assert settings.auth.lockout_minutes == 30


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("colour = 'red'\n", "colour"),
        ("[auth]\nlockout_treshold = 3\n", "lockout_treshold"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path / "orderhub.toml", text)
    with pytest.raises(ConfigurationError) as err:
        load_settings(path, env={})
    assert named in str(err.value)
    assert str(path) in str(err.value)


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "orderhub.toml", "auth = 3\n")
    with pytest.raises(ConfigurationError, match=r"\[auth\] must be a table"):
        load_settings(path, env={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", "[auth\nlockout_threshold = \n")
    with pytest.raises(ConfigurationError) as err:
        load_settings(path, env={})
    assert str(path) in str(err.value)
    assert "not valid TOML" in str(err.value)


def test_wrong_type_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ORDERHUB_AUTH_LOCKOUT_THRESHOLD"):
        load_settings(tmp_path / "absent.toml", env={"ORDERHUB_AUTH_LOCKOUT_THRESHOLD": "many"})


def test_secrets_are_masked(tmp_path: Path) -> None:
    env = {
        "ORDERHUB_SECRET_KEY": "c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24tYW55d2hlcmU=",
        "ORDERHUB_DATABASE_URL": "postgresql://oh:hunter2-pw@db.internal:5432/oh",
    }
    shown = settings_as_dict(load_settings(tmp_path / "absent.toml", env=env))
    text = json.dumps(shown)
    assert "hunter2-pw" not in text
    assert env["ORDERHUB_SECRET_KEY"] not in text
    assert shown["secret_key"] == "****"
    assert shown["database_url"] == "postgresql://oh:****@db.internal:5432/oh"
    assert shown["effective_database_url"] == shown["database_url"]
    settings = load_settings(tmp_path / "absent.toml", env=env)
    assert "hunter2-pw" not in repr(settings) and env["ORDERHUB_SECRET_KEY"] not in repr(settings)


def test_mask_keeps_urls_without_password() -> None:
    assert mask_secret("database_url", "postgresql://postgres@h/db") == "postgresql://postgres@h/db"
    assert mask_secret("database_url", "sqlite:////x/orderhub.db") == "sqlite:////x/orderhub.db"
    assert mask_secret("secret_key", "") == ""


def test_every_environment_name_changes_its_setting(tmp_path: Path) -> None:
    """`setting_env_names` (used by `config show`) matches what `load_settings` reads."""
    absent = tmp_path / "absent.toml"
    defaults = settings_as_dict(load_settings(absent, env={}))
    sections = {k for k, v in defaults.items() if isinstance(v, dict)}
    names = setting_env_names()
    assert "ORDERHUB_DATABASE_URL" in names and "ORDERHUB_AUTH_LOCKOUT_THRESHOLD" in names
    for name in names:
        if "<" in name:  # the per-platform tables: tested in test_platform_tables_*
            continue
        key = name.removeprefix("ORDERHUB_").lower()
        head, _, rest = key.partition("_")
        path = (head, rest) if head in sections else (key,)
        before = _at(defaults, path)
        changed = settings_as_dict(load_settings(absent, env={name: _other(before)}))
        assert _at(changed, path) != before, name


def _at(values: dict, path: tuple[str, ...]) -> object:
    for part in path:
        values = values[part]
    return values


def _other(value: object) -> str:
    """An environment value that differs from `value` once read back."""
    if isinstance(value, bool):
        return "false" if value else "true"
    if isinstance(value, int):
        return str(value + 1)
    if isinstance(value, list):
        return "x,y"
    if value == "INFO":  # the log level
        return "DEBUG"
    if value == "critical":  # alerts.forward_severity
        return "warning"
    if value == "" or str(value).startswith("sqlite"):  # the database URL (or the key)
        return "sqlite:////elsewhere/oh.db"
    return "/elsewhere/x"


def test_config_show_reports_sources_and_masks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "orderhub.toml", "[auth]\nsession_hours = 9\n")
    monkeypatch.setenv("ORDERHUB_CONFIG", str(path))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", "postgresql://oh:s3cret-pw@db/oh")
    monkeypatch.delenv("ORDERHUB_SECRET_KEY", raising=False)

    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config_file"] == str(path) and shown["config_file_found"] is True
    assert "ORDERHUB_DATABASE_URL" in shown["environment"]
    assert shown["settings"]["auth"]["session_hours"] == 9
    assert shown["settings"]["database_url"] == "postgresql://oh:****@db/oh"

    assert main(["config", "show"]) == 0
    text = capsys.readouterr().out
    assert "s3cret-pw" not in text
    assert f"# config file: {path} (read)" in text
    body = tomllib.loads(text)  # text output is TOML a merchant can copy from
    assert body["auth"]["session_hours"] == 9


def test_platform_tables_come_from_file_and_env_with_secrets_masked(tmp_path: Path) -> None:
    config = tmp_path / "orderhub.toml"
    config.write_text(
        '[platforms.pinduoduo]\nclient_id = "123"\nclient_secret = "s3cret"\n', encoding="utf-8"
    )
    env = {"ORDERHUB_PLATFORMS__PINDUODUO__GATEWAY_URL": "http://127.0.0.1:8765/api/router"}
    settings = load_settings(config, env=env)
    assert settings.platform_settings("pinduoduo") == {
        "client_id": "123",
        "client_secret": "s3cret",
        "gateway_url": "http://127.0.0.1:8765/api/router",
    }
    shown = settings_as_dict(settings)["platforms"]["pinduoduo"]
    assert shown["client_secret"] == "****" and shown["client_id"] == "123"
    with pytest.raises(ConfigurationError, match="ORDERHUB_PLATFORMS__<PLATFORM>__<OPTION>"):
        load_settings(config, env={"ORDERHUB_PLATFORMS__PINDUODUO": "x"})


def test_key_file_path_is_not_masked(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", env={"ORDERHUB_KEY_FILE": "/etc/oh.keys"})
    assert settings_as_dict(settings)["key_file"] == "/etc/oh.keys"


def test_config_show_writes_platform_tables_as_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "orderhub.toml", '[platforms.pinduoduo]\nclient_id = "123"\n')
    monkeypatch.setenv("ORDERHUB_CONFIG", str(path))
    monkeypatch.setenv("ORDERHUB_PLATFORMS__PINDUODUO__CLIENT_SECRET", "s3cret-value")
    assert main(["config", "show"]) == 0
    text = capsys.readouterr().out
    assert "s3cret-value" not in text
    assert "ORDERHUB_PLATFORMS__PINDUODUO__CLIENT_SECRET" in text.splitlines()[1]
    body = tomllib.loads(text)
    assert body["platforms"]["pinduoduo"] == {"client_id": "123", "client_secret": "****"}


# --- every setting has a type and a range -----------------------------------------------

# (section, key, bad values read from the environment, the range the message must state)
BAD_VALUES = [
    ("auth", "lockout_threshold", ["0", "-1", "101", "many", "2.5"], "1 and 100"),
    ("auth", "lockout_minutes", ["0", "-1", "10081"], "1 and 10080"),
    ("auth", "session_hours", ["0", "-3", "721"], "1 and 720"),
    ("auth", "api_token_days", ["0", "3651"], "1 and 3650"),
    ("auth", "verification_code_minutes", ["0", "1441"], "1 and 1440"),
    ("auth", "verification_code_attempts", ["0", "101"], "1 and 100"),
    ("auth", "password_min_length", ["0", "-1", "7", "65"], "8 and 64"),
    ("auth", "argon2_time_cost", ["0", "101"], "1 and 100"),
    ("auth", "argon2_memory_kib", ["0", "7", "4194305"], "8 and 4194304"),
    ("auth", "argon2_parallelism", ["0", "65"], "1 and 64"),
    ("sync", "interval_minutes", ["0", "61"], "1 and 60"),
    ("sync", "overlap_seconds", ["-1", "86401"], "0 and 86400"),
    ("sync", "alert_after_failures", ["0", "1001"], "1 and 1000"),
    ("sync", "lease_seconds", ["0", "9", "3601"], "10 and 3600"),
    ("sync", "initial_days", ["0", "91"], "1 and 90"),
    ("sync", "read_processes", ["-2", "65"], "-1 and 64"),
    ("sync", "parallel_min_windows", ["0", "100001"], "1 and 100000"),
    ("plugins", "trace", ["maybe", "2"], "true or false"),
    ("", "log_level", ["LOUD", "5"], "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("", "database_url", ["not a url", "mysql://oh:pw@db/oh"], "sqlite:///"),
    ("", "data_dir", [""], "a directory"),
]
ENV_CASES = [
    (section, key, bad, allowed) for section, key, bads, allowed in BAD_VALUES for bad in bads
]


@pytest.mark.parametrize(("section", "key", "bad", "allowed"), ENV_CASES)
def test_bad_environment_value_names_the_variable_and_the_range(
    tmp_path: Path, section: str, key: str, bad: str, allowed: str
) -> None:
    variable = "ORDERHUB_" + (f"{section}_{key}" if section else key).upper()
    with pytest.raises(ConfigurationError) as err:
        load_settings(tmp_path / "absent.toml", env={variable: bad})
    message = str(err.value)
    assert message.startswith(variable) and allowed in message
    assert "\n" not in message and "pw@" not in message


# The same settings in the file, with TOML's own types (a float, a bool, a list …).
FILE_CASES = [
    (section, key, toml, allowed)
    for section, key, bads, allowed in BAD_VALUES
    for toml in [
        *(bad if bad.lstrip("-").isdigit() else json.dumps(bad) for bad in bads),
        *(["2.0", "true", "[1]"] if key not in ("trace", "log_level", "database_url") else []),
        *(['"yes please"', "1"] if key == "trace" else []),
        *(["[]", "1"] if key in ("log_level", "database_url", "data_dir") else []),
    ]
]


@pytest.mark.parametrize(("section", "key", "toml", "allowed"), FILE_CASES)
def test_bad_file_value_names_the_key_and_the_file(
    tmp_path: Path, section: str, key: str, toml: str, allowed: str
) -> None:
    text = f"[{section}]\n{key} = {toml}\n" if section else f"{key} = {toml}\n"
    path = write(tmp_path / "orderhub.toml", text)
    with pytest.raises(ConfigurationError) as err:
        load_settings(path, env={})
    message = str(err.value)
    assert message.startswith(f"{path}: {section + '.' if section else ''}{key}")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("section", "key", "toml"),
    [
        ("plugins", "disabled", "5"),
        ("plugins", "only", '["orderhub", 3]'),
        ("plugins", "notifiers", '["log", ""]'),
        ("", "key_file", "5"),
        ("", "secret_key", "5"),
    ],
)
def test_wrong_type_in_the_file_names_the_key(
    tmp_path: Path, section: str, key: str, toml: str
) -> None:
    text = f"[{section}]\n{key} = {toml}\n" if section else f"{key} = {toml}\n"
    path = write(tmp_path / "orderhub.toml", text)
    with pytest.raises(ConfigurationError, match=f"{section + '.' if section else ''}{key}"):
        load_settings(path, env={})


def test_argon2_memory_must_cover_its_lanes(tmp_path: Path) -> None:
    env = {"ORDERHUB_AUTH_ARGON2_MEMORY_KIB": "16", "ORDERHUB_AUTH_ARGON2_PARALLELISM": "4"}
    with pytest.raises(ConfigurationError, match=r"ORDERHUB_AUTH_ARGON2_MEMORY_KIB.*32"):
        load_settings(tmp_path / "absent.toml", env=env)


def test_settings_built_in_code_are_checked_too() -> None:
    with pytest.raises(ConfigurationError, match=r"auth\.lockout_minutes .*1 and 10080"):
        AuthSettings(lockout_minutes=-1)
    with pytest.raises(ConfigurationError, match=r"sync\.lease_seconds"):
        replace(SyncSettings(), lease_seconds=0)


def test_edges_of_each_range_are_accepted(tmp_path: Path) -> None:
    env = {
        "ORDERHUB_AUTH_LOCKOUT_THRESHOLD": "1",
        "ORDERHUB_AUTH_LOCKOUT_MINUTES": "10080",
        "ORDERHUB_AUTH_PASSWORD_MIN_LENGTH": "8",
        "ORDERHUB_SYNC_OVERLAP_SECONDS": "0",
        "ORDERHUB_SYNC_READ_PROCESSES": "-1",
        "ORDERHUB_PLUGINS_TRACE": "off",
        "ORDERHUB_LOG_LEVEL": "debug",
        "ORDERHUB_DATABASE_URL": "postgres://oh@db/oh",
    }
    settings = load_settings(tmp_path / "absent.toml", env=env)
    assert settings.auth.lockout_minutes == 10080 and settings.sync.read_processes == -1
    assert settings.plugins.trace is False and settings.log_level == "DEBUG"


# --- unknown ORDERHUB_* variables are warned about, not silently ignored -----------------


def test_unknown_orderhub_variable_is_warned_with_a_suggestion(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        "ORDERHUB_AUTH_LOCKOUT_MINUTE": "30",  # a typo: the lockout stays at its default
        "ORDERHUB_CONFIG": str(tmp_path / "absent.toml"),  # not settings, but known
        "ORDERHUB_ADMIN_PASSWORD": "x",
        "ORDERHUB_TRACE_PLUGINS": "1",
        "ORDERHUB_TEST_PG_URL": "postgresql://postgres@127.0.0.1/test",
    }
    with caplog.at_level("WARNING", logger="orderhub.config"):
        settings = load_settings(tmp_path / "absent.toml", env=env)
    assert settings.auth.lockout_minutes == 15
    [warning] = settings.warnings
    assert warning.startswith("ORDERHUB_AUTH_LOCKOUT_MINUTE is not an orderhub setting")
    assert "did you mean ORDERHUB_AUTH_LOCKOUT_MINUTES?" in warning
    assert [r.getMessage() for r in caplog.records] == [warning]


def test_config_show_lists_the_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_SYNC_INTERVAL", "10")
    assert main(["config", "show"]) == 0
    text = capsys.readouterr().out
    assert "# warning: ORDERHUB_SYNC_INTERVAL is not an orderhub setting" in text
    tomllib.loads(text)  # still TOML
    assert main(["config", "show", "--json"]) == 0
    [warning] = json.loads(capsys.readouterr().out)["warnings"]
    assert "ORDERHUB_SYNC_INTERVAL_MINUTES" in warning
