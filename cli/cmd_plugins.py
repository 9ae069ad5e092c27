"""`orderhub plugins`: which plugins load, what each offers, and which failed and why.

Plugins are loaded exactly as every orderhub process loads them (same settings: `only`,
`disabled`), but without opening the database or keys, so this works as a diagnostic
even before `orderhub init`. Exit code 1 when a plugin failed to load or two plugins
clash on a name, so scripts and health checks can rely on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, emit, settings_from
from core.plugins.host import PluginHost

HEADERS = ("NAME", "KIND", "VERSION", "DISTRIBUTION", "CAPABILITIES")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "plugins",
        help="list loaded plugins: name, kind, version, distribution, capabilities",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    host = PluginHost(settings_from(args).plugins)
    host.load()
    rows = host.describe()
    table = [
        (
            row.name,
            row.kind,
            row.version or "-",
            _distribution(row.distribution, row.distribution_version),
            f"ERROR: {row.error}" if row.error else capabilities_text(row.capabilities),
        )
        for row in rows
    ]
    emit(args, [row.as_dict() for row in rows], table=table, headers=HEADERS)
    return EXIT_ERROR if any(row.error for row in rows) else EXIT_OK


def _distribution(name: str, version: str) -> str:
    return f"{name} {version}".strip()


def capabilities_text(capabilities: Mapping[str, Any]) -> str:
    """`cancel, max_batch=10, languages=tspl,zpl`: true flags by name, values as k=v."""
    parts: list[str] = []
    for key, value in capabilities.items():
        if value is True:
            parts.append(key)
        elif value is False or value in ([], (), None, ""):
            continue
        elif isinstance(value, list | tuple):
            parts.append(f"{key}={','.join(str(v) for v in value)}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "-"
