"""In-process registration: contract checks at the door, and event hooks in isolation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from core.config import PluginSettings
from core.contracts import AlertInfo, Carrier, Notifier, PrinterDriver, WaybillResult
from core.errors import PluginError
from core.hookspecs import hookimpl
from core.plugins.host import EVENT_HOOKS, REGISTRATION_HOOKS, PluginHost, hook_names

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def host() -> PluginHost:
    return PluginHost(PluginSettings(only=("orderhub",)))


class Echo(Notifier):
    name = "echo"

    def send(self, notification) -> None:
        self.sent = notification


class Recorder:
    """An in-process plugin object that records the events it receives."""

    def __init__(self) -> None:
        self.alerts: list[AlertInfo] = []

    @hookimpl
    def register_notifiers(self) -> list[type[Notifier]]:
        return [Echo]

    @hookimpl
    def alert_raised(self, alert: AlertInfo) -> None:
        self.alerts.append(alert)


class Exploder:
    @hookimpl
    def alert_raised(self, alert: AlertInfo) -> None:
        raise RuntimeError("webhook down")


def plugin(**hooks: object) -> SimpleNamespace:
    return SimpleNamespace(**hooks)


ALERT = AlertInfo(
    id=1, org_id=None, kind="sync.failed", severity="warning", message="m", created_at=NOW
)


def test_hook_sets_are_what_the_architecture_lists() -> None:
    assert set(REGISTRATION_HOOKS.values()) == {
        "register_platforms",
        "register_carriers",
        "register_printer_drivers",
        "register_renderers",
        "register_notifiers",
        "register_import_formats",
    }
    assert {"order_synced", "package_shipped", "alert_raised"} <= EVENT_HOOKS
    assert set(hook_names()) == set(REGISTRATION_HOOKS.values()) | EVENT_HOOKS


def test_register_returns_name_and_classes_are_served(host: PluginHost) -> None:
    name = host.register(Recorder(), "recorder")
    assert name == "recorder"
    assert host.notifiers() == {"echo": Echo}
    [row] = host.describe()
    assert (row.name, row.kind, row.distribution, row.plugin) == (
        "echo",
        "notifier",
        "(in-process)",
        "recorder",
    )
    host.unregister("recorder")
    assert host.notifiers() == {}


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ({"register_notifiers": hookimpl(lambda: [int])}, "not a subclass of Notifier"),
        ({"register_notifiers": hookimpl(lambda: Echo)}, "must return a list of classes"),
        ({"register_carriers": hookimpl(lambda: [Echo])}, "not a subclass of Carrier"),
        ({"register_notifier": hookimpl(lambda: [Echo])}, "unknown hook 'register_notifier'"),
        ({"register_notifiers": lambda: [Echo]}, "without @hookimpl"),
        ({"register_notifiers": hookimpl(lambda: 1 / 0)}, "raised ZeroDivisionError"),
        ({"alert_raised": hookimpl(lambda alert, extra: None)}, "extra"),
        ({"alert_raised": hookimpl(wrapper=True)(lambda alert: (yield))}, "wrapper"),
    ],
)
def test_register_refuses_what_breaks_the_rules(
    host: PluginHost, hooks: dict, message: str
) -> None:
    with pytest.raises(PluginError, match=message) as caught:
        host.register(plugin(**hooks), "bad")
    assert "'bad'" in str(caught.value)
    assert host.loaded == [] and host.pm.get_plugins() == set()


def _carrier(**attrs: object) -> type[Carrier]:
    def subscriptions(self):
        return []

    def allocate(self, requests):
        return [WaybillResult(r.request_id, error="no") for r in requests]

    body = {"name": "c", "subscriptions": subscriptions, "allocate": allocate, **attrs}
    return type("C", (Carrier,), body)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"name": ""}, "has name ''"),
        ({"name": "Has Spaces"}, "has name 'Has Spaces'"),
        ({"version": 2}, "version 2"),
        ({"SUPPORTS_CANCEL": True}, "SUPPORTS_CANCEL = True but does not override cancel_waybill"),
        ({"MAX_BATCH": 0}, "MAX_BATCH must be at least 1"),
        ({"TRACKING_NUMBER_PATTERNS": {"YTO": "YT(\\d"}}, "pattern for 'YTO' is not a regex"),
    ],
)
def test_contract_declarations_are_checked(host: PluginHost, attrs: dict, message: str) -> None:
    cls = _carrier(**attrs)
    with pytest.raises(PluginError, match=message):
        host.register(plugin(register_carriers=hookimpl(lambda: [cls])), "carrier")


def test_a_flag_with_its_override_passes(host: PluginHost) -> None:
    cls = _carrier(SUPPORTS_CANCEL=True, cancel_waybill=lambda self, waybill: None)
    host.register(plugin(register_carriers=hookimpl(lambda: [cls])), "carrier")
    assert host.carriers()["c"].capabilities()["cancel"] is True


def test_printer_driver_must_declare_languages(host: PluginHost) -> None:
    body = {"name": "p", "open": lambda s, t=None: None, "write": lambda s, d, t=None: None}
    cls = type("P", (PrinterDriver,), {**body, "close": lambda s: None})
    with pytest.raises(PluginError, match="LANGUAGES must be a non-empty frozenset"):
        host.register(plugin(register_printer_drivers=hookimpl(lambda: [cls])), "p")


def test_taken_names_are_refused(host: PluginHost) -> None:
    host.register(Recorder(), "same")
    with pytest.raises(PluginError, match="already taken"):
        host.register(Recorder(), "same")


# ---------------------------------------------------------------- events


def test_emit_calls_every_plugin_even_when_one_raises(
    host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    first, last = Recorder(), []
    host.register(first, "first")  # pluggy's order is last registered first: the exploder
    host.register(Exploder(), "exploder")  # runs between the two others
    host.register(plugin(alert_raised=hookimpl(lambda alert: last.append(alert))), "last")
    with caplog.at_level(logging.ERROR, logger="orderhub.plugins"):
        failures = host.emit("alert_raised", alert=ALERT)
    assert first.alerts == [ALERT] and last == [ALERT]
    [failure] = failures
    assert "'exploder'" in str(failure) and "RuntimeError: webhook down" in str(failure)
    assert "webhook down" in caplog.text


def test_emit_checks_the_hook_and_its_arguments(host: PluginHost) -> None:
    with pytest.raises(TypeError, match="not an event hook"):
        host.emit("register_notifiers")
    with pytest.raises(TypeError, match=r"takes \['alert'\]"):
        host.emit("alert_raised", alert=ALERT, extra=1)
    with pytest.raises(TypeError, match="takes"):
        host.emit("order_synced", org_id=1)


def test_impls_may_take_a_subset_of_arguments(host: PluginHost) -> None:
    seen: list[tuple[int, str]] = []
    host.register(
        plugin(
            package_shipped=hookimpl(
                lambda org_id, tracking_number: seen.append((org_id, tracking_number))
            )
        ),
        "shipping",
    )
    assert (
        host.emit(
            "package_shipped",
            org_id=3,
            package_id=9,
            order_ids=(1, 2),
            carrier_code="YTO",
            tracking_number="YT1234567890123",
            shipped_at=NOW,
        )
        == []
    )
    assert seen == [(3, "YT1234567890123")]
