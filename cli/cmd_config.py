"""`orderhub config show`: the effective settings, secrets masked, and where they came from.

Text output is TOML, so a line can be copied into the config file; derived values
(the database URL and key file actually used) are shown as comments.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from cli.common import EXIT_OK, add_json_option, emit
from core.config import default_config_path, load_settings, setting_env_names, settings_as_dict

_DERIVED = ("effective_database_url", "effective_key_file")


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
        "environment": [name for name in setting_env_names() if name in os.environ],
        "settings": {k: v for k, v in values.items() if k != "source" and k not in _DERIVED},
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
    print(_toml(data["settings"]))
    return EXIT_OK


def _toml(settings: dict[str, Any]) -> str:
    """Top-level keys, then one [table] per section; JSON scalars are valid TOML values."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in settings.items():
        if isinstance(value, dict):
            tables.append(f"\n[{key}]")
            tables += [f"{k} = {_value(v)}" for k, v in value.items()]
        elif value is not None:
            lines.append(f"{key} = {_value(value)}")
        else:
            lines.append(f"# {key} = (not set)")
    return "\n".join(lines + tables)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
