"""Ciphertext-shaped receiver fields the sandbox can decrypt again, and masks.

Pinduoduo hands out buyer data only as ciphertext in two observed shapes (pinduoduo.md §4):
`~<base64>~<index>~<digit>~~` for names and addresses, `$<index>$<base64>$<digit>$$` for
phone numbers. The sandbox produces exactly those shapes with a reversible keyed XOR, so
`pdd.open.decrypt.batch` can answer and clients can be tested on opaque values. It is a
shape, not security: nothing here protects anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

_HEADER = b"\x02\x00\x00\x00\x00"  # real ciphertexts start "AgAAAA…", i.e. these bytes
_KEY_VERSION = "1"
_GENERAL = re.compile(r"~([A-Za-z0-9+/=]+)~([A-Za-z0-9+/]{12})~(\d)~~")
_PHONE = re.compile(r"\$([A-Za-z0-9+/]{12})\$([A-Za-z0-9+/=]+)\$(\d)\$\$")


class Cipher:
    """Encrypts and decrypts sandbox ciphertexts under one key (derived from the seed)."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(f"pdd-sandbox:{key}".encode()).digest()
        stream = b"".join(
            hashlib.sha256(self._key + n.to_bytes(4, "big")).digest() for n in range(64)
        )
        self._stream = int.from_bytes(stream, "big")
        self._stream_len = len(stream)

    def _xor(self, data: bytes) -> bytes:
        if len(data) > self._stream_len:
            raise ValueError(f"value too long for the sandbox cipher ({len(data)} bytes)")
        size = len(data)
        pad = self._stream >> (8 * (self._stream_len - size))
        return (int.from_bytes(data, "big") ^ pad).to_bytes(size, "big")

    def _index(self, plain: str) -> str:
        digest = hmac.new(self._key, plain.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest[:9]).decode()  # 12 characters, like the samples

    def encrypt(self, plain: str) -> str:
        """Name or address → `~<base64>~<index>~1~~`."""
        body = base64.b64encode(_HEADER + self._xor(plain.encode())).decode()
        return f"~{body}~{self._index(plain)}~{_KEY_VERSION}~~"

    def encrypt_phone(self, plain: str) -> str:
        """Phone number → `$<index>$<base64>$1$$`."""
        body = base64.b64encode(_HEADER + self._xor(plain.encode())).decode()
        return f"${self._index(plain)}${body}${_KEY_VERSION}$$"

    def decrypt(self, text: str) -> str:
        """Either shape → plain text; ValueError when `text` is not a sandbox ciphertext."""
        match = _GENERAL.fullmatch(text)
        body = match.group(1) if match else None
        if body is None:
            match = _PHONE.fullmatch(text)
            body = match.group(2) if match else None
        if body is None:
            raise ValueError("not a ciphertext")
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise ValueError("damaged ciphertext") from exc
        if not raw.startswith(_HEADER):
            raise ValueError("damaged ciphertext")
        plain = self._xor(raw[len(_HEADER) :]).decode("utf-8", errors="strict")
        index = match.group(2) if text.startswith("~") else match.group(1)
        if not hmac.compare_digest(index, self._index(plain)):
            raise ValueError("ciphertext does not verify")
        return plain

    # -- e-waybill print data ------------------------------------------------------------

    def seal_print_data(self, content: dict[str, Any], template_url: str) -> str:
        """The `print_data` JSON string of `pdd.waybill.get`: encryptedData (hex),
        signature (base64 HMAC of it), templateUrl, ver."""
        raw = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        encrypted = b"".join(self._xor(raw[i : i + 1024]) for i in range(0, len(raw), 1024)).hex()
        signature = base64.b64encode(
            hmac.new(self._key, encrypted.encode(), hashlib.sha256).digest()
        ).decode()
        return json.dumps(
            {
                "encryptedData": encrypted,
                "signature": signature,
                "templateUrl": template_url,
                "ver": "3",
            },
            separators=(",", ":"),
        )

    def open_print_data(self, print_data: str) -> dict[str, Any]:
        """What a print-component double needs: the label content inside `print_data`.
        ValueError when it was not sealed by this sandbox or was altered."""
        outer = json.loads(print_data)
        encrypted = outer["encryptedData"]
        expected = base64.b64encode(
            hmac.new(self._key, encrypted.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(expected, outer.get("signature", "")):
            raise ValueError("print_data signature does not verify")
        raw = bytes.fromhex(encrypted)
        plain = b"".join(self._xor(raw[i : i + 1024]) for i in range(0, len(raw), 1024))
        return json.loads(plain)


def is_ciphertext(value: str) -> bool:
    """Pinduoduo's rule of thumb: starts and ends with `~` (general) or `$` (phone)."""
    return len(value) > 2 and value[0] == value[-1] and value[0] in "~$"


def mask_name(name: str) -> str:
    """张三丰 → 张**"""
    return name[:1] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678"""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


_DIGITS = re.compile(r"\d")


def mask_address(detail: str) -> str:
    """Street address with every digit hidden: 人民路128号 → 人民路***号."""
    return _DIGITS.sub("*", detail)
