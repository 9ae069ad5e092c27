"""`orderhub config show`: the effective settings, secrets masked, and where they came from.

Text output is TOML, so a line can be copied into the config file; derived values
(the database URL and key file actually used) are shown as comments.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from cli.common import EXIT_OK, add_json_option, emit
from core.config import (
    PLUGIN_TABLES,
    TABLES_ENV,
    default_config_path,
    load_settings,
    setting_env_names,
    settings_as_dict,
)

_DERIVED = ("effective_database_url", "effective_key_file")
_HIDDEN = ("source", "warnings")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="show the effective configuration")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="effective settings (secrets masked) and their sources",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_json_option(show)
    show.set_defaults(handler=run_show)


def run_show(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else default_config_path()
    settings = load_settings(path)
    values = settings_as_dict(settings)
    data = {
        "config_file": str(path),
        "config_file_found": settings.source != "defaults",
        "environment": _applied_env(),
        "warnings": list(settings.warnings),
        "settings": {k: v for k, v in values.items() if k not in _HIDDEN and k not in _DERIVED},
        **{k: values[k] for k in _DERIVED},
    }
    if getattr(args, "json", False):
        emit(args, data)
        return EXIT_OK
    found = "read" if data["config_file_found"] else "not found, defaults used"
    print(f"# config file: {path} ({found})")
    print(f"# environment: {', '.join(data['environment']) or 'no ORDERHUB_* settings'}")
    for name in _DERIVED:
        print(f"# {name.removeprefix('effective_')} in use: {data[name]}")
    for warning in data["warnings"]:
        print(f"# warning: {warning}")
    print(_toml(data["settings"]))
    return EXIT_OK


def _applied_env() -> list[str]:
    """The ORDERHUB_* variables `load_settings` used, in settings order."""
    known = setting_env_names()
    prefixes = (TABLES_ENV, *PLUGIN_TABLES.values())
    tables = sorted(name for name in os.environ if name.startswith(prefixes))
    return [name for name in known if name in os.environ] + tables


def _toml(settings: dict[str, Any]) -> str:
    return "\n".join(_toml_table(settings, ())).strip()


def _toml_table(values: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    """Scalars of one table, then its sub-tables as `[a.b]`; JSON scalars are valid TOML."""
    lines = [f"[{'.'.join(_key(p) for p in path)}]"] if path else []
    for key, value in values.items():
        if value is None:
            lines.append(f"# {_key(key)} = (not set)")
        elif not isinstance(value, dict):
            lines.append(f"{_key(key)} = {json.dumps(value, ensure_ascii=False)}")
    for key, value in values.items():
        if isinstance(value, dict):
            lines += ["", *_toml_table(value, (*path, key))]
    return lines


def _key(name: str) -> str:
    """A bare TOML key when possible, else a quoted one."""
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)
