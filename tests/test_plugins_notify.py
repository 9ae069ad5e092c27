"""notify() and the built-in log notifier, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.alerts.notify import notify
from core.alerts.raising import raise_alert
from core.app import App
from core.config import PluginSettings, Settings
from core.contracts import AlertInfo, Notification, Notifier
from core.errors import ConfigurationError, ExternalError, PluginError, ValidationError
from core.hookspecs import hookimpl
from core.models import Alert, Org
from core.startup import open_app


@pytest.fixture
def org_id(app: App) -> int:
    with app.tx() as session:
        org = Org(name="小美百货")
        session.add(org)
        session.flush()
        return org.id


def alerts(app: App) -> list[Alert]:
    with app.tx() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


class Down(Notifier):
    """A notifier whose channel is down (as an SMS gateway answering 503 would be)."""

    name = "down"

    def send(self, notification: Notification) -> None:
        raise ExternalError("sms gateway answered 503", retryable=True)


class Buggy(Notifier):
    name = "buggy"

    def send(self, notification: Notification) -> None:
        raise KeyError("template")


@pytest.fixture
def app_with(settings: Settings) -> Iterator:
    """Open an app whose plugins.notifiers is `names`, with the Down/Buggy notifiers."""
    opened: list[App] = []

    def make(*names: str) -> App:
        plugins = PluginSettings(only=("orderhub",), notifiers=names)
        application = open_app(replace(settings, plugins=plugins))
        extra = SimpleNamespace(register_notifiers=hookimpl(lambda: [Down, Buggy]))
        application.plugins.register(extra, "test-notifiers")
        opened.append(application)
        return application

    yield make
    for application in opened:
        application.close()


def test_log_notifier_writes_the_code_to_the_log_only(
    app: App, org_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    note = Notification(
        recipient="xiaomei@example.com",
        subject="orderhub 注册验证码",
        body="注册验证码: 123456",
        org_id=org_id,
        kind="register",
        secret="123456",
    )
    assert "123456" not in repr(note)
    with caplog.at_level(logging.INFO, logger="orderhub.notify"):
        assert notify(app, note) == ["log"]
    [alert] = alerts(app)
    assert (alert.org_id, alert.kind, alert.severity) == (org_id, "notification.register", "info")
    assert "xiaomei@example.com" in alert.message and "注册验证码" in alert.message
    assert "123456" not in alert.message and "orderhub.notify log" in alert.message
    [record] = [r for r in caplog.records if r.name == "orderhub.notify"]
    assert "123456" in record.getMessage() and "register" in record.getMessage()


def test_a_notification_keeps_its_secret_out_of_what_may_be_stored() -> None:
    note = Notification("boss", "reset code", "code 042042 for boss", secret="042042")
    assert note.redacted_body == "code ****** for boss"
    assert Notification("boss", "hello", "no secret here").redacted_body == "no secret here"
    with pytest.raises(ValidationError, match="secret must appear in its body"):
        Notification("boss", "reset code", "the code is missing", secret="042042")
    with pytest.raises(ValidationError, match="subject"):
        Notification("boss", "reset code 042042", "code 042042", secret="042042")


class Echo(Notifier):
    """A careless notifier that repeats the message in its error."""

    name = "echo"

    def send(self, notification: Notification) -> None:
        raise ExternalError(f"gateway refused: {notification.body}")


def test_a_failing_notifier_cannot_leak_the_secret(app_with) -> None:
    def with_echo(*names: str) -> App:
        application = app_with(*names)
        application.plugins.register(
            SimpleNamespace(register_notifiers=hookimpl(lambda: [Echo])), "echo"
        )
        return application

    note = Notification("a", "s", "code 314159", kind="register", secret="314159")
    application = with_echo("echo", "log")
    assert notify(application, note) == ["log"]
    messages = [a.message for a in alerts(application)]
    assert len(messages) == 2 and not any("314159" in m for m in messages)
    with pytest.raises(ExternalError, match=r"code \*{6}") as caught:
        notify(with_echo("echo"), note)  # the error reaches the caller, and maybe a user
    assert "314159" not in str(caught.value)


def test_installation_wide_notification_has_no_org(app: App) -> None:
    notify(app, Notification("admin", "backup done", "nightly backup finished", kind="backup"))
    [alert] = alerts(app)
    assert alert.org_id is None and alert.kind == "notification.backup"


def test_raise_alert_fires_the_hook_after_commit(app: App, org_id: int) -> None:
    seen: list[tuple[AlertInfo, int]] = []

    def forward(alert: AlertInfo) -> None:
        seen.append((alert, len(alerts(app))))  # the row is already committed

    app.plugins.register(SimpleNamespace(alert_raised=hookimpl(forward)), "forwarder")
    info = raise_alert(app, org_id, "sync.failed", "critical", "shop 9001: token expired")
    [(received, rows)] = seen
    assert received == info and rows == 1
    assert info.created_at.tzinfo is not None and info.id == alerts(app)[0].id


def test_raise_alert_validates_severity_and_kind(app: App) -> None:
    with pytest.raises(ValidationError, match="severity must be one of info, warning, critical"):
        raise_alert(app, None, "x", "fatal", "m")
    with pytest.raises(ValidationError, match="kind"):
        raise_alert(app, None, "k" * 65, "info", "m")
    assert alerts(app) == []


def test_unknown_notifier_names_the_known_ones(app_with) -> None:
    application = app_with("log", "sms")
    with pytest.raises(
        ConfigurationError, match="unknown notifier 'sms'; known: buggy, down, email, log, webhook"
    ):
        notify(application, Notification("a", "s", "b"))
    assert alerts(application) == []  # checked before anything was sent


def test_one_failing_notifier_does_not_stop_the_others(app_with) -> None:
    application = app_with("down", "log")
    assert notify(application, Notification("a", "s", "code 1", kind="register")) == ["log"]
    kinds = {a.kind: a for a in alerts(application)}
    assert set(kinds) == {"notification.register", "notifier.failed"}
    failed = kinds["notifier.failed"]
    assert failed.severity == "warning" and "'down'" in failed.message and "503" in failed.message


def test_when_nothing_delivered_the_error_reaches_the_caller(app_with) -> None:
    with pytest.raises(ExternalError, match="503") as caught:
        notify(app_with("down"), Notification("a", "s", "b"))
    assert caught.value.retryable
    with pytest.raises(PluginError, match="notifier 'buggy' failed: KeyError"):
        notify(app_with("buggy"), Notification("a", "s", "b"))
    with pytest.raises(ExternalError, match="no notifier could send") as caught:
        notify(app_with("down", "buggy"), Notification("a", "s", "b"))
    assert not caught.value.retryable


def test_empty_notifier_list_is_a_configuration_error(app_with) -> None:
    with pytest.raises(ConfigurationError, match=r"plugins\.notifiers is empty"):
        notify(app_with(), Notification("a", "s", "b"))
