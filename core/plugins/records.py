"""What the plugin host knows about each plugin, and how it is listed.

Kept apart from `core.plugins.host` (which loads and calls plugins) so the listing rules —
versions, clashes, failed plugins — read in one place. `orderhub plugins` and
`orderhub status` print `PluginRow`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Any

from core.contracts import CONTRACTS, Contract
from core.errors import PluginError

Provider = tuple[type[Contract], "PluginRecord"]


def normalize_dist_name(name: str) -> str:
    """PEP 503 form, so `only=("Orderhub_Example",)` matches `orderhub-example`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(ep: EntryPoint) -> tuple[str, str]:
    """(name, version) of the distribution that declares `ep`."""
    dist = ep.dist
    if dist is None:
        return "(unknown distribution)", ""
    return dist.metadata["Name"] or dist.name, dist.version or ""


@dataclass(frozen=True)
class PluginRecord:
    """One plugin (an entry point, or an in-process registration) that loaded or failed."""

    name: str
    distribution: str
    distribution_version: str
    target: str  # what the entry point names, e.g. "plugins.notifiers.log"
    provides: Mapping[str, tuple[type[Contract], ...]] = field(default_factory=dict)
    error: PluginError | None = None

    @property
    def origin(self) -> str:
        """How messages name the plugin: entry point, target and distribution."""
        version = f" {self.distribution_version}" if self.distribution_version else ""
        return f"plugin {self.name!r} ({self.target}) from {self.distribution}{version}"


@dataclass(frozen=True)
class PluginRow:
    """One line of `orderhub plugins`: a provided class, or a plugin that failed."""

    name: str
    kind: str
    version: str
    distribution: str
    distribution_version: str
    plugin: str
    capabilities: Mapping[str, Any]
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "plugin": self.plugin,
            "capabilities": dict(self.capabilities),
            "error": self.error,
        }


def providers(records: Iterable[PluginRecord], kind: str) -> list[Provider]:
    """Every (class, plugin) of one kind, in load order."""
    return [(cls, rec) for rec in records for cls in rec.provides.get(kind, ())]


def classes_by_name(records: Iterable[PluginRecord], kind: str) -> dict[str, type[Contract]]:
    """`{name: class}` for one kind; two different classes with one name → PluginError."""
    found: dict[str, Provider] = {}
    for cls, record in providers(records, kind):
        if cls.name in found and found[cls.name][0] is not cls:
            raise PluginError(duplicate_message(kind, cls.name, found[cls.name], (cls, record)))
        found.setdefault(cls.name, (cls, record))
    return {name: cls for name, (cls, _) in found.items()}


def duplicate_message(kind: str, name: str, first: Provider, second: Provider) -> str:
    def label(entry: Provider) -> str:
        cls, record = entry
        return f"{cls.__module__}.{cls.__qualname__} from {record.origin}"

    return (
        f"two {kind} plugins are named {name!r}: {label(first)} and {label(second)}; "
        "remove one or list its plugin in plugins.disabled"
    )


def describe_rows(records: list[PluginRecord], failed: list[PluginRecord]) -> list[PluginRow]:
    """Provided classes by kind then name (clashes flagged), then failed plugins."""
    rows: list[PluginRow] = []
    for kind in CONTRACTS:
        listed = sorted(providers(records, kind), key=lambda p: (p[0].name, p[1].name))
        names = [cls.name for cls, _ in listed]
        for cls, record in listed:
            clash = names.count(cls.name) > 1
            rows.append(
                PluginRow(
                    name=cls.name,
                    kind=kind,
                    version=cls.version or record.distribution_version,
                    distribution=record.distribution,
                    distribution_version=record.distribution_version,
                    plugin=record.name,
                    capabilities=cls.capabilities(),
                    error=f"another {kind} is also named {cls.name!r}" if clash else "",
                )
            )
    for record in failed:
        rows.append(
            PluginRow(
                name=record.name,
                kind="(failed)",
                version=record.distribution_version,
                distribution=record.distribution,
                distribution_version=record.distribution_version,
                plugin=record.name,
                capabilities={},
                error=str(record.error),
            )
        )
    return rows
