"""What every plugin contract shares: identity, settings, core services, capability flags.

A plugin class is a plain subclass of one contract (`SalesPlatform`, `Carrier`, …) that a
`register_*` hook returns. Core instantiates it with `(settings, services)`: `settings` is a
read-only mapping of that plugin's options (credentials, device address …), `services` the
small facade core offers plugins (see `PluginServices`). Instances are cheap and short-lived:
core builds one when it needs one, so plugins should not cache state across instances.

Capabilities are opt-in (as in harlequin's adapters): every optional operation has a
`SUPPORTS_*` flag that defaults to False and a default method that raises `NotSupported`.
A plugin that sets the flag must override the method; `validate_contract` enforces that when
the plugin loads, so a flag never promises what the class cannot do.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn, Protocol

from core.contracts.types import AlertInfo
from core.errors import NotSupported, PluginError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
NO_SETTINGS: Mapping[str, Any] = MappingProxyType({})


class PluginServices(Protocol):
    """The core facade a plugin instance may call back into (kept small on purpose)."""

    def raise_alert(self, org_id: int | None, kind: str, severity: str, message: str) -> AlertInfo:
        """Store an operator alert in its own transaction and fire the `alert_raised` hook."""
        ...


class Contract:
    """Base of every plugin contract. Subclass a contract, never this class directly."""

    #: Unique within its kind, lower case: `pinduoduo`, `tspl`, `log`. Shown in settings.
    name: ClassVar[str] = ""
    #: Set by each contract ("platform", "carrier", …); plugins do not change it.
    kind: ClassVar[str] = ""
    #: The plugin class's own version; empty means "the version of its distribution".
    version: ClassVar[str] = ""
    #: Flag name → method it promises. Contracts extend this for their optional operations.
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        """Keep a read-only copy of `settings`; `services` is None only outside a running app."""
        self.settings: Mapping[str, Any] = MappingProxyType(dict(settings))
        self.services = services

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """What this class offers: every `SUPPORTS_*` flag as `{flag: bool}`, lower-cased.

        Contracts add their declarations (a printer driver's document languages, …); the
        result is JSON-friendly and is what `orderhub plugins` prints.
        """
        flags: dict[str, Any] = {}
        for attr in sorted(dir(cls)):
            if attr.startswith("SUPPORTS_"):
                flags[attr.removeprefix("SUPPORTS_").lower()] = bool(getattr(cls, attr))
        return flags

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        """Contract-specific checks of class-level declarations (languages, limits …)."""
        return []

    def not_supported(self, operation: str) -> NoReturn:
        """Raise the standard `NotSupported` for an optional operation this plugin lacks."""
        raise NotSupported(
            f"{self.kind} plugin {self.name!r} does not support {operation}",
            plugin=self.name,
            operation=operation,
        )


def validate_contract(cls: type, contract: type[Contract], where: str) -> None:
    """Check a class a `register_*` hook returned; raise `PluginError` naming `where` if not.

    Checked: it subclasses `contract`, every abstract member is implemented, `name` is a
    valid identifier, `version` is a string, and each `SUPPORTS_*` flag that is True comes
    with an override of the method it promises.
    """
    if not (isinstance(cls, type) and issubclass(cls, contract)):
        raise PluginError(
            f"{where}: returned {cls!r}, which is not a subclass of {contract.__name__}"
        )
    label = f"{where}: {contract.kind} class {cls.__module__}.{cls.__qualname__}"
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise PluginError(f"{label} does not implement {missing}")
    if not isinstance(cls.name, str) or not NAME_PATTERN.match(cls.name):
        raise PluginError(
            f"{label} has name {cls.name!r}; use 1-40 characters a-z 0-9 _ . - "
            "starting with a letter or digit"
        )
    if not isinstance(cls.version, str):
        raise PluginError(f"{label} has version {cls.version!r}; it must be a string")
    problems = cls._declaration_problems()
    if problems:
        raise PluginError(f"{label}: " + "; ".join(problems))
    for flag, method in contract.OPTIONAL_OPERATIONS.items():
        if getattr(cls, flag, False) and _owner(cls, method) is _owner(contract, method):
            raise PluginError(f"{label} sets {flag} = True but does not override {method}()")


def _owner(cls: type, attr: str) -> type | None:
    """The class in `cls`'s MRO that defines `attr` (works for plain and class methods)."""
    return next((klass for klass in cls.__mro__ if attr in vars(klass)), None)
