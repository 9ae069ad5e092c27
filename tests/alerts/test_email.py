"""The e-mail notifier against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.contracts import Notification
from core.errors import ConfigurationError, ExternalError
from plugins.notifiers.email import EmailNotifier


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mail-pass-1"
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def settings(port: int, **extra: object) -> dict[str, object]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "plain",
        "from": "orderhub@shop.example",
        "to": "ops@shop.example, boss@shop.example",
        **extra,
    }


def test_alert_goes_to_the_configured_addresses(smtp) -> None:
    inbox, port = smtp
    note = Notification(
        recipient="operators", subject="orderhub [acme] critical", body="请勿发货", kind="alert"
    )
    EmailNotifier(settings(port)).send(note)
    [(sender, to, content)] = inbox.messages
    assert sender == "orderhub@shop.example"
    assert to == ["ops@shop.example", "boss@shop.example"]
    message = message_from_bytes(content, policy=policy.default)
    assert message["Subject"] == "orderhub [acme] critical"
    assert message.get_content().strip() == "请勿发货"


def test_a_code_goes_to_its_recipient_with_login(smtp) -> None:
    inbox, port = smtp
    note = Notification(
        recipient="xiaomei@example.com",
        subject="orderhub 注册验证码",
        body="注册验证码: 123456",
        kind="register",
        secret="123456",
    )
    EmailNotifier(settings(port, username="hub", password="mail-pass-1")).send(note)
    [(_, to, content)] = inbox.messages
    assert (to == ["xiaomei@example.com"] and b"123456" in content) or "123456" in str(
        message_from_bytes(content, policy=policy.default).get_content()
    )


def test_no_server_is_retryable_and_bad_settings_are_named() -> None:
    note = Notification(recipient="operators", subject="s", body="b")
    with pytest.raises(ExternalError) as err:
        EmailNotifier(settings(1)).send(note)
    assert err.value.retryable
    with pytest.raises(ConfigurationError, match="set to"):
        EmailNotifier({**settings(1), "to": ""}).send(note)
    with pytest.raises(ConfigurationError, match="security"):
        EmailNotifier(settings(1, security="tls13")).send(note)
    with pytest.raises(ConfigurationError, match="both username and password"):
        EmailNotifier(settings(1, username="x")).send(note)
