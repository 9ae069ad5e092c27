"""The e-mail notifier against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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
    return AuthResult(success=ok, handled=False)  # the server answers 535 itself


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


# ---------------------------------------------------------------- TLS and logins


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.shop.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_servers(tmp_path) -> Iterator[tuple[Inbox, int, int, Path]]:  # type: ignore[no-untyped-def]
    """One server that requires STARTTLS (and TLS before a login), one that speaks TLS
    from the first byte; both with a certificate only `ca_file` trusts."""
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    starttls_port, ssl_port = free_port(), free_port()
    starttls = Controller(
        inbox,
        hostname="127.0.0.1",
        port=starttls_port,
        authenticator=authenticator,
        tls_context=context,
        require_starttls=True,
    )
    implicit = Controller(
        inbox,
        hostname="127.0.0.1",
        port=ssl_port,
        authenticator=authenticator,
        ssl_context=context,
        server_hostname="127.0.0.1",
        auth_require_tls=False,  # TLS from the first byte: aiosmtpd tracks only STARTTLS
    )
    starttls.start()
    implicit.start()
    yield inbox, starttls_port, ssl_port, cert
    starttls.stop()
    implicit.stop()


def test_starttls_and_ssl_with_a_login_reach_a_server_the_ca_file_trusts(tls_servers) -> None:
    inbox, starttls_port, ssl_port, cert = tls_servers
    login = {"username": "hub", "password": "mail-pass-1", "ca_file": str(cert)}
    note = Notification(recipient="operators", subject="加密", body="已拦截，请勿发货")
    EmailNotifier(settings(starttls_port, security="starttls", **login)).send(note)
    EmailNotifier(settings(ssl_port, security="ssl", **login)).send(note)
    assert len(inbox.messages) == 2
    for _, _, content in inbox.messages:
        assert message_from_bytes(content, policy=policy.default)["Subject"] == "加密"


def test_an_untrusted_certificate_is_refused_and_says_how_to_trust_it(tls_servers) -> None:
    inbox, starttls_port, ssl_port, _ = tls_servers
    note = Notification(recipient="operators", subject="s", body="b")
    for port, security in ((starttls_port, "starttls"), (ssl_port, "ssl")):
        with pytest.raises(ExternalError) as err:
            EmailNotifier(settings(port, security=security)).send(note)
        assert "is not trusted" in err.value.message and "ca_file" in err.value.message
        assert not err.value.retryable
    assert inbox.messages == []


def test_a_wrong_password_is_named_without_the_password(tls_servers) -> None:
    inbox, starttls_port, _, cert = tls_servers
    wrong = {"username": "hub", "password": "not-the-pass-7", "ca_file": str(cert)}
    with pytest.raises(ConfigurationError) as err:
        EmailNotifier(settings(starttls_port, security="starttls", **wrong)).send(
            Notification(recipient="operators", subject="s", body="b")
        )
    assert "refused the login of 'hub'" in err.value.message
    assert "not-the-pass-7" not in err.value.message
    assert inbox.messages == []


def test_starttls_against_a_server_without_it_and_a_bad_ca_file(smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, port = smtp
    note = Notification(recipient="operators", subject="s", body="b")
    with pytest.raises(ConfigurationError, match="does not offer STARTTLS"):
        EmailNotifier(settings(port, security="starttls")).send(note)
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match=r"ca_file .* cannot be read"):
        EmailNotifier(settings(port, security="starttls", ca_file=str(garbage))).send(note)
