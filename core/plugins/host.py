"""The plugin host: finds plugins, checks them against the contracts, hands out classes.

Built-in and third-party plugins come in through the same door — entry points of group
`orderhub` (`importlib.metadata`) — so the built-ins prove the path third parties use.

Failure policy (decided here, documented in docs/plugins.md): a plugin that fails to
import, implements an unknown hook, or returns a class that breaks its contract does not
stop orderhub. It becomes a `PluginError` naming the entry point and its distribution,
logged at ERROR, listed by `failed` and `orderhub plugins`, and its hooks are removed. A
missing plugin then shows up where it is needed (e.g. "unknown notifier"), with the load
error one command away. Plugins registered in-process with `register` raise instead:
that is a programming error in the caller.

Event hooks are called one implementation at a time, so a plugin that raises is logged and
skipped without stopping the others or the core service that emitted the event.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pluggy

from core import hookspecs
from core.config import PluginSettings
from core.contracts import CONTRACTS, Contract, validate_contract
from core.errors import PluginError
from core.plugins.records import (
    PluginRecord,
    PluginRow,
    classes_by_name,
    describe_rows,
    distribution_of,
    normalize_dist_name,
    providers,
)

if TYPE_CHECKING:
    from pluggy._hooks import HookImpl

    from core.contracts import (
        Carrier,
        ImportFormat,
        Notifier,
        PluginServices,
        PrinterDriver,
        Renderer,
        SalesPlatform,
    )

log = logging.getLogger("orderhub.plugins")
trace_log = logging.getLogger("orderhub.plugins.trace")

ENTRY_POINT_GROUP = "orderhub"
IN_PROCESS = "(in-process)"
TRACE_ENV = "ORDERHUB_TRACE_PLUGINS"

#: contract kind → the hook that registers classes of that kind
REGISTRATION_HOOKS: Mapping[str, str] = MappingProxyType(
    {
        "platform": "register_platforms",
        "carrier": "register_carriers",
        "printer_driver": "register_printer_drivers",
        "renderer": "register_renderers",
        "notifier": "register_notifiers",
        "import_format": "register_import_formats",
    }
)


def hook_names() -> list[str]:
    """Every hook in `core.hookspecs`, in source order."""
    return [
        name
        for name, obj in vars(hookspecs).items()
        if callable(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec")
    ]


EVENT_HOOKS = frozenset(set(hook_names()) - set(REGISTRATION_HOOKS.values()))


def tracing_requested(settings: PluginSettings, env: Mapping[str, str] | None = None) -> bool:
    """`settings.plugins.trace`, or ORDERHUB_TRACE_PLUGINS=1 in the environment."""
    env = os.environ if env is None else env
    flag = env.get(TRACE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(settings.trace) or flag


class PluginHost:
    """A `pluggy.PluginManager("orderhub")` with the hook specs, plus contract checks."""

    def __init__(self, plugin_settings: PluginSettings) -> None:
        self.settings = plugin_settings
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._records: dict[str, PluginRecord] = {}
        self._failed: list[PluginRecord] = []
        self._loaded = False
        self._services: PluginServices | None = None
        self._hooktrace = self.pm.trace.root.get("hook")
        self.tracing = tracing_requested(plugin_settings)
        if self.tracing:
            self._enable_tracing()

    # ------------------------------------------------------------------ loading

    def load(self, names: Collection[str] | None = None) -> None:
        """Load every allowed entry point of group `orderhub`, once. Never raises for a
        broken plugin: see the module docstring for the failure policy. `names` limits it
        to those entry points (a helper process that needs one platform, not renderers)."""
        if self._loaded:
            return
        self._loaded = True
        only = {normalize_dist_name(n) for n in self.settings.only}
        disabled = set(self.settings.disabled)
        seen: set[tuple[str, str]] = set()
        dists_seen: set[str] = set()
        names_seen: set[str] = set()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist, version = distribution_of(ep)
            key = (normalize_dist_name(dist), ep.name)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            dists_seen.add(key[0])
            names_seen.add(ep.name)
            if names is not None and ep.name not in names:
                continue
            if only and key[0] not in only:
                log.debug("plugin %r from %s skipped: not in plugins.only", ep.name, dist)
                continue
            if ep.name in disabled:
                log.info("plugin %r from %s disabled by plugins.disabled", ep.name, dist)
                continue
            self._load_entry_point(ep, dist, version)
        for name in sorted(only - dists_seen):
            log.warning("plugins.only names %r, but no such distribution has plugins", name)
        for name in sorted(disabled - names_seen):
            log.warning("plugins.disabled names %r, but no plugin has that name", name)
        for problem in self._duplicate_problems():
            log.error("%s", problem)

    def _load_entry_point(self, ep: EntryPoint, dist: str, version: str) -> None:
        record = PluginRecord(ep.name, dist, version, ep.value)
        try:
            obj = ep.load()
        except Exception as exc:  # any import-time failure of third-party code
            error = PluginError(
                f"{record.origin} failed to import: {type(exc).__name__}: {exc}",
                plugin=ep.name,
                distribution=dist,
            )
            self._fail(record, error, exc)
            return
        try:
            self._register(obj, record)
        except PluginError as error:
            self._fail(record, error, error.__cause__)

    def _fail(self, record: PluginRecord, error: PluginError, cause: BaseException | None) -> None:
        log.error("%s", error)
        if cause is not None:
            log.debug("traceback of the %s failure", record.name, exc_info=cause)
        self._failed.append(
            PluginRecord(
                record.name,
                record.distribution,
                record.distribution_version,
                record.target,
                error=error,
            )
        )

    def register(
        self,
        obj: object,
        name: str | None = None,
        *,
        distribution: str = IN_PROCESS,
        version: str = "",
    ) -> str:
        """Register an in-process plugin (a module, class or object with `@hookimpl`s) and
        return its name; raises `PluginError` when it breaks a contract."""
        name = name or self.pm.get_canonical_name(obj)
        target = getattr(obj, "__name__", type(obj).__name__)
        self._register(obj, PluginRecord(name, distribution, version, target))
        return name

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (tests, and reloading an in-process plugin)."""
        if name not in self._records:
            raise PluginError(f"no plugin named {name!r} is registered")
        self.pm.unregister(name=name)
        del self._records[name]

    def _register(self, obj: object, record: PluginRecord) -> None:
        if record.name in self._records:
            other = self._records[record.name]
            raise PluginError(f"{record.origin}: the name is already taken by {other.origin}")
        _check_forgotten_markers(obj, record)
        try:
            registered = self.pm.register(obj, name=record.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"{record.origin}: {exc}") from exc
        if registered is None:
            raise PluginError(f"{record.origin}: pluggy refused it (blocked name)")
        try:
            self._check_impls(obj, record)
            provides = self._collect(obj, record)
        except PluginError:
            self.pm.unregister(obj)
            raise
        self._records[record.name] = PluginRecord(
            record.name,
            record.distribution,
            record.distribution_version,
            record.target,
            provides=MappingProxyType(provides),
        )

    def _check_impls(self, obj: object, record: PluginRecord) -> None:
        for caller in self.pm.get_hookcallers(obj) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is not obj:
                    continue
                if not caller.has_spec() and not impl.optionalhook:
                    known = ", ".join(hook_names())
                    raise PluginError(
                        f"{record.origin} implements unknown hook {caller.name!r}; "
                        f"orderhub hooks are: {known}"
                    )
                if impl.hookwrapper or impl.wrapper:
                    raise PluginError(
                        f"{record.origin}: {caller.name} is a wrapper; orderhub hooks take "
                        "plain implementations only"
                    )

    def _collect(self, obj: object, record: PluginRecord) -> dict[str, tuple[type[Contract], ...]]:
        """Call this plugin's `register_*` hooks and check every class they return."""
        provides: dict[str, tuple[type[Contract], ...]] = {}
        for kind, hook_name in REGISTRATION_HOOKS.items():
            classes: list[type[Contract]] = []
            for impl in self._impls(hook_name, plugin=obj):
                where = f"{record.origin}: {hook_name}()"
                try:
                    result = self._call_impl(hook_name, impl, {})
                except Exception as exc:
                    raise PluginError(f"{where} raised {type(exc).__name__}: {exc}") from exc
                if not isinstance(result, list | tuple):
                    raise PluginError(f"{where} must return a list of classes, not {result!r}")
                for cls in result:
                    validate_contract(cls, CONTRACTS[kind], where)
                    classes.append(cls)
            if classes:
                provides[kind] = tuple(classes)
        return provides

    # ------------------------------------------------------------------ hooks

    def _impls(self, hook_name: str, plugin: object | None = None) -> list[HookImpl]:
        """Implementations in pluggy's call order (last registered first, tryfirst/trylast)."""
        impls = list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))
        return [i for i in impls if plugin is None or i.plugin is plugin]

    def _call_impl(self, hook_name: str, impl: HookImpl, kwargs: Mapping[str, Any]) -> Any:
        self._hooktrace(f"{hook_name} → {impl.plugin_name}", dict(kwargs))
        result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        self._hooktrace("finish", hook_name, "→", impl.plugin_name, "-->", result)
        return result

    def emit(self, hook_name: str, **kwargs: Any) -> list[PluginError]:
        """Call event hook `hook_name` on every plugin, each on its own: a plugin that
        raises is logged and skipped. Returns the failures (empty when all went well)."""
        if hook_name not in EVENT_HOOKS:
            raise TypeError(f"{hook_name!r} is not an event hook; events: {sorted(EVENT_HOOKS)}")
        expected = set(getattr(self.pm.hook, hook_name).spec.argnames)
        if set(kwargs) != expected:
            raise TypeError(f"{hook_name} takes {sorted(expected)}, got {sorted(kwargs)}")
        failures: list[PluginError] = []
        for impl in self._impls(hook_name):
            try:
                self._call_impl(hook_name, impl, kwargs)
            except Exception as exc:
                error = PluginError(
                    f"plugin {impl.plugin_name!r} failed in {hook_name}: "
                    f"{type(exc).__name__}: {exc}",
                    plugin=impl.plugin_name,
                )
                log.error("%s", error, exc_info=exc)
                failures.append(error)
        return failures

    def _enable_tracing(self) -> None:
        """Route pluggy's tracer to the `orderhub.plugins.trace` logger at DEBUG."""
        trace_log.setLevel(logging.DEBUG)
        if not trace_log.handlers and not logging.getLogger().handlers:
            trace_log.addHandler(logging.StreamHandler())
        self.pm.trace.root.setwriter(lambda text: trace_log.debug("%s", text.rstrip()))
        self.pm.enable_tracing()

    # ------------------------------------------------------------------ accessors

    @property
    def loaded(self) -> list[PluginRecord]:
        """Plugins that loaded, in load order."""
        return list(self._records.values())

    @property
    def failed(self) -> list[PluginRecord]:
        """Plugins that failed to load; each has its `error`."""
        return list(self._failed)

    def bind_services(self, services: PluginServices) -> None:
        """Give plugin instances core's services facade (`core.startup.open_app` does)."""
        self._services = services

    @property
    def services(self) -> PluginServices | None:
        """The core facade passed to plugin instances (None for a host that only lists
        plugins, as `orderhub plugins` and the docs do)."""
        return self._services

    def platforms(self) -> dict[str, type[SalesPlatform]]:
        return self._classes("platform")  # type: ignore[return-value]

    def carriers(self) -> dict[str, type[Carrier]]:
        return self._classes("carrier")  # type: ignore[return-value]

    def printer_drivers(self) -> dict[str, type[PrinterDriver]]:
        return self._classes("printer_driver")  # type: ignore[return-value]

    def renderers(self) -> dict[str, type[Renderer]]:
        return self._classes("renderer")  # type: ignore[return-value]

    def notifiers(self) -> dict[str, type[Notifier]]:
        return self._classes("notifier")  # type: ignore[return-value]

    def import_formats(self) -> dict[str, type[ImportFormat]]:
        return self._classes("import_format")  # type: ignore[return-value]

    def entry_point_of(self, kind: str, name: str) -> str | None:
        """The entry point that provided class `name` of `kind`; None when it was
        registered in process (it cannot be loaded by name elsewhere) or is unknown."""
        for cls, record in providers(self._records.values(), kind):
            if cls.name == name:
                return None if record.distribution == IN_PROCESS else record.name
        return None

    def _classes(self, kind: str) -> dict[str, type[Contract]]:
        return classes_by_name(self._records.values(), kind)

    def _duplicate_problems(self) -> list[str]:
        problems = []
        for kind in CONTRACTS:
            try:
                self._classes(kind)
            except PluginError as exc:
                problems.append(str(exc))
        return problems

    def describe(self) -> list[PluginRow]:
        """Every provided class (by kind, then name) and every failed plugin, for listing."""
        return describe_rows(list(self._records.values()), self._failed)


def _check_forgotten_markers(obj: object, record: PluginRecord) -> None:
    """A function named like a hook but without `@hookimpl` would be silently ignored."""
    marker = f"{hookspecs.PROJECT}_impl"
    for name in hook_names():
        attr = getattr(obj, name, None)
        if callable(attr) and not hasattr(attr, marker):
            raise PluginError(
                f"{record.origin} defines {name}() without @hookimpl; "
                "add `from core.hookspecs import hookimpl` and decorate it"
            )


__all__: list[str] = [
    "ENTRY_POINT_GROUP",
    "EVENT_HOOKS",
    "REGISTRATION_HOOKS",
    "PluginHost",
    "PluginRecord",
    "PluginRow",
    "hook_names",
    "tracing_requested",
]
