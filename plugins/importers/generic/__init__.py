"""The built-in `mapped` import format: CSV/XLSX read through a merchant's column mapping
(a TOML or JSON file, see `plugins.importers.generic.spec`). Registered through the
`orderhub` entry point `import-mapped` like any third-party plugin."""

from __future__ import annotations

from core.contracts import ImportFormat
from core.hookspecs import hookimpl


@hookimpl
def register_import_formats() -> list[type[ImportFormat]]:
    from plugins.importers.generic.format import MappedFormat

    return [MappedFormat]
