"""Alert channels (`core.alertdesk.channels`): what the configuration sends through, option
names without their values, a test message through one channel, audited either way, and
settings.manage to do either."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.accounts import audit
from core.alertdesk.channels import list_channels, send_test
from core.config import AlertSettings
from core.errors import ConfigurationError, PermissionDenied
from core.models import Alert
from core.startup import open_app


def test_the_configured_channels_are_listed_without_option_values(settings, acme) -> None:
    configured = replace(
        settings,
        alerts=AlertSettings(notifiers=("webhook",), forward_severity="warning"),
        notifiers={"webhook": {"url": "https://hooks.example.cn/x", "secret": "s3cret"}},
    )
    app = open_app(configured)
    try:
        view = list_channels(app, acme.admin)
    finally:
        app.close()
    by_name = {c.name: c for c in view.channels}
    assert list(by_name)[:2] == ["log", "webhook"]
    log, webhook = by_name["log"], by_name["webhook"]
    assert (log.loaded, log.sends_messages, log.forwards_alerts) == (True, True, False)
    assert (webhook.sends_messages, webhook.forwards_alerts) == (False, True)
    assert webhook.options == ("secret", "url")
    assert "s3cret" not in repr(view) and "hooks.example.cn" not in repr(view)
    assert by_name["email"].direct and not by_name["email"].forwards_alerts
    assert (view.forward_severity, view.recipient) == ("warning", "operators")


def test_a_test_message_goes_through_one_channel_and_is_audited(app, acme) -> None:
    assert send_test(app, acme.admin, "log") == ["log"]
    with app.tx() as session:
        stored = session.query(Alert).filter(Alert.kind == "notification.test").one()
        assert "boss" in stored.message
        (event,) = audit.events(session, acme.org_id, action="notifier.test")
        assert (event.target_id, event.detail) == ("log", "delivered")

    with pytest.raises(ConfigurationError):
        send_test(app, acme.admin, "webhook")  # no [notifiers.webhook] url
    with app.tx() as session:
        failed = audit.events(session, acme.org_id, action="notifier.test")[0]
        assert failed.target_id == "webhook" and failed.detail.startswith("failed: ")


def test_channels_need_settings_manage(app, acme) -> None:
    clerk = acme.staff("clerk", "print_operator")
    with pytest.raises(PermissionDenied):
        list_channels(app, clerk)
    with pytest.raises(PermissionDenied):
        send_test(app, clerk, "log")
    with app.tx() as session:
        assert audit.events(session, acme.org_id, action="notifier.test") == []
