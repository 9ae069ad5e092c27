"""TOTP second factor (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps).

Small enough to own: the RFC's test vectors check it (tests/test_totp.py). A code is
accepted within ±1 step of clock drift, and each step only once (replay protection is kept
by the caller in `User.totp_last_step`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """160 random bits, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def code_at(secret: str, step: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(_key(secret), struct.pack(">Q", step), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, moment: datetime, drift: int = 1) -> int | None:
    """The time step the code belongs to (within ±drift), or None when it matches none."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != DIGITS:
        return None
    now_step = step_of(moment)
    for step in range(now_step - drift, now_step + drift + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "orderhub") -> str:
    """otpauth:// URI for a QR code in the authenticator app."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP_SECONDS}"
