"""Alert channels: which notifiers this installation sends through, and a test message.

A channel is a notifier plugin (`log`, `webhook`, `email`, …) named in the configuration:
`[plugins] notifiers` for messages to people (one-time codes), `[alerts] notifiers` for
forwarded alerts (empty: the same ones), each with its `[notifiers.NAME]` table. The
configuration file is the place to change them; here a front end reads what is in force
— which channels, whether their plugin is loaded, which options are set (names only, never
values: a webhook secret or mail password stays out of sight) — and sends a test message
through one, to see that it arrives before an alert depends on it.

Both need `settings.manage` (channels are installation settings); a test send is audited
(`notifier.test`) whether it was delivered or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.alerts.notify import notify
from core.app import App
from core.contracts.notifier import Notification
from core.errors import OrderhubError, ValidationError

TEST_KIND = "test"


@dataclass(frozen=True)
class Channel:
    name: str
    loaded: bool  # a notifier plugin of this name is loaded
    direct: bool  # it reaches the recipient (e-mail), not only operators (log)
    sends_messages: bool  # named in [plugins] notifiers
    forwards_alerts: bool  # named in [alerts] notifiers (or inherited from [plugins])
    options: tuple[str, ...]  # the keys of its [notifiers.NAME] table, sorted


@dataclass(frozen=True)
class ChannelSettings:
    channels: tuple[Channel, ...]
    forward_severity: str  # info | warning | critical | off
    recipient: str


def forwarding_notifiers(app: App) -> tuple[str, ...]:
    """The notifiers alerts are forwarded through (`[alerts] notifiers`, else `[plugins]`)."""
    return app.settings.alerts.notifiers or app.settings.plugins.notifiers


def list_channels(app: App, actor: Actor) -> ChannelSettings:
    """Every notifier named in the configuration or loaded as a plugin (`settings.manage`)."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
    available = app.plugins.notifiers()
    messages = app.settings.plugins.notifiers
    alerts = forwarding_notifiers(app)
    names = list(dict.fromkeys([*messages, *alerts, *sorted(available)]))
    channels = tuple(
        Channel(
            name=name,
            loaded=name in available,
            direct=bool(getattr(available.get(name), "SUPPORTS_DIRECT_DELIVERY", False)),
            sends_messages=name in messages,
            forwards_alerts=name in alerts,
            options=tuple(sorted(app.settings.notifier_settings(name))),
        )
        for name in names
    )
    return ChannelSettings(
        channels, app.settings.alerts.forward_severity, app.settings.alerts.recipient
    )


def send_test(app: App, actor: Actor, name: str) -> list[str]:
    """Send a test message through notifier `name` to `[alerts] recipient`
    (`settings.manage`); the notifiers that delivered, or the channel's error."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name the notifier to test", field="name")
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
    when = clock.local_text(clock.now())
    notification = Notification(
        recipient=app.settings.alerts.recipient,
        subject=f"orderhub 测试消息 / test message ({name})",
        body=f"这是 {actor.label} 于 {when} 发送的测试消息，无需处理。\n"
        f"A test message sent by {actor.label} at {when}; nothing to do.",
        org_id=actor.org_id,
        kind=TEST_KIND,
    )
    try:
        delivered = notify(app, notification, notifiers=(name,))
    except OrderhubError as exc:
        _audit(app, actor, name, f"failed: {exc.message}"[:500])
        raise
    _audit(app, actor, name, "delivered")
    return delivered


def _audit(app: App, actor: Actor, name: str, outcome: str) -> None:
    with app.tx() as session:
        audit.record(
            session,
            "notifier.test",
            actor=actor,
            target_type="notifier",
            target_id=name,
            detail=outcome,
        )
