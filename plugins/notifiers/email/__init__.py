"""The built-in `email` notifier: sends each notification by SMTP (stdlib `smtplib`).

Settings (`[notifiers.email]`): `host` (required), `security` (`starttls` — the default —
`ssl` or `plain`), `port` (587, 465 or 25 by security), `username` and `password`
(optional; both or neither), `from` (required), `to` (addresses, a list or comma
separated: where notifications go whose recipient is not an e-mail address, such as
forwarded alerts to "operators"), `timeout_seconds` (10), `ca_file` (a PEM file of the
certificate authorities to trust instead of the system's: a company mail server with its
own CA). The server's certificate is always verified with `starttls` and `ssl`.

A notification whose recipient is an e-mail address (a one-time code for a user who
gave one) goes to that address: this channel delivers directly. The password is never
logged or put in an error.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from core.contracts.notifier import Notification, Notifier
from core.errors import ConfigurationError, ExternalError
from core.hookspecs import hookimpl

PORTS = {"starttls": 587, "ssl": 465, "plain": 25}


class EmailNotifier(Notifier):
    name = "email"
    SUPPORTS_DIRECT_DELIVERY = True

    def send(self, notification: Notification) -> None:
        host = self._text("host", required=True)
        security = self._text("security") or "starttls"
        if security not in PORTS:
            raise ConfigurationError(
                f"email notifier: security must be starttls, ssl or plain, not {security!r}"
            )
        port = self._port(PORTS[security])
        sender = self._text("from", required=True)
        username, password = self._text("username"), self._text("password")
        if bool(username) != bool(password):
            raise ConfigurationError("email notifier: set both username and password, or neither")
        recipients = self._recipients(notification)
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message["X-Orderhub-Kind"] = notification.kind
        message.set_content(notification.body)
        timeout = float(self.settings.get("timeout_seconds", 10))
        context = self._tls_context() if security != "plain" else None
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=context)
                if username:
                    smtp.login(username, password)
                smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except ssl.SSLCertVerificationError as exc:
            raise ExternalError(
                f"email notifier: the certificate of {host}:{port} is not trusted "
                f"({exc.verify_message}); set ca_file in [notifiers.email] to its CA",
                retryable=False,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            if "STARTTLS" in str(exc):
                raise ConfigurationError(
                    f"email notifier: {host}:{port} does not offer STARTTLS; set security = "
                    '"ssl" (port 465) or, on a trusted network only, "plain"'
                ) from None
            raise ConfigurationError(
                f"email notifier: {host}:{port} does not offer a login here; leave username "
                "and password empty, or use security starttls or ssl"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigurationError(
                f"email notifier: {host} refused the login of {username!r} ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ExternalError(
                f"email notifier: {host} refused the recipient(s) {sorted(exc.recipients)}",
                retryable=False,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ExternalError(
                f"email notifier: sending through {host}:{port} failed: {type(exc).__name__}",
                retryable=True,
            ) from None

    def _tls_context(self) -> ssl.SSLContext:
        ca_file = self._text("ca_file")
        try:
            return ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"email notifier: ca_file {ca_file!r} cannot be read as PEM certificates "
                f"({type(exc).__name__})"
            ) from None

    def _recipients(self, notification: Notification) -> list[str]:
        if "@" in notification.recipient:
            return [notification.recipient]
        raw = self.settings.get("to", ())
        listed = raw.split(",") if isinstance(raw, str) else list(raw)
        found = [str(a).strip() for a in listed if str(a).strip()]
        if not found:
            raise ConfigurationError(
                f"email notifier: recipient {notification.recipient!r} is not an e-mail "
                "address; set to in [notifiers.email]"
            )
        return found

    def _text(self, key: str, *, required: bool = False) -> str:
        value = self.settings.get(key, "")
        if not isinstance(value, str):
            raise ConfigurationError(f"email notifier: {key} must be text")
        if required and not value.strip():
            raise ConfigurationError(
                f"email notifier: set {key} in [notifiers.email] "
                f"(or ORDERHUB_NOTIFIERS__EMAIL__{key.upper()})"
            )
        return value.strip()

    def _port(self, default: int) -> int:
        raw = self.settings.get("port", default)
        try:
            port = int(raw)
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535:
            raise ConfigurationError(f"email notifier: port must be 1 to 65535, not {raw!r}")
        return port


@hookimpl
def register_notifiers() -> list[type[Notifier]]:
    return [EmailNotifier]
