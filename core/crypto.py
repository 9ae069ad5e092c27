"""Field encryption for secrets at rest (platform tokens, TOTP seeds, buyer personal data).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a keyring: the first key
encrypts, every key decrypts, so a rotation adds a key in front and old ciphertext keeps
working until `reencrypt` has moved it to the new key. Keys come from `ORDERHUB_SECRET_KEY`
(comma-separated, newest first) or a key file created with mode 0600 on `orderhub init`
(one key per line, newest first).

A process-wide keyring is installed with `install_keyring`, because SQLAlchemy column types
(`EncryptedText` in `core.models.base`) have no per-session context to carry one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.errors import ConfigurationError

_PREFIX = "fernet:"


class Keyring:
    """Ordered Fernet keys: index 0 encrypts, all decrypt."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigurationError("no encryption key configured")
        try:
            self._fernets = [Fernet(k.encode() if isinstance(k, str) else k) for k in keys]
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"encryption key is not a valid Fernet key (32 url-safe base64 bytes): {exc}"
            ) from exc
        self._keys = list(keys)
        self._multi = MultiFernet(self._fernets)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: str) -> str:
        return _PREFIX + self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext.startswith(_PREFIX):
            raise ConfigurationError("value is not an orderhub ciphertext")
        try:
            return self._multi.decrypt(ciphertext[len(_PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigurationError(
                "cannot decrypt a stored secret: none of the configured keys fits "
                "(was the key file replaced instead of rotated?)"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key (no-op in meaning, new bytes)."""
        token = ciphertext[len(_PREFIX) :].encode("ascii")
        return _PREFIX + self._multi.rotate(token).decode("ascii")

    def is_current(self, ciphertext: str) -> bool:
        """True when the newest key already decrypts it (no rotation needed)."""
        try:
            self._fernets[0].decrypt(ciphertext[len(_PREFIX) :].encode("ascii"))
            return True
        except InvalidToken:
            return False

    def keyed_hash(self, value: str, purpose: str) -> str:
        """Deterministic HMAC for exact-match search on encrypted fields (e.g. a phone).

        Derived from the *oldest* key so it stays stable across rotations.
        """
        base = hashlib.sha256(("orderhub-search:" + purpose + self._keys[-1]).encode()).digest()
        return hmac.new(base, value.encode("utf-8"), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def read_key_file(path: Path) -> list[str]:
    text = path.read_text(encoding="ascii")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def write_key_file(path: Path, keys: list[str]) -> None:
    """Write keys with mode 0600 from the first byte (never world-readable, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("# orderhub encryption keys, newest first. Keep this file secret and backed up.\n")
        fh.write("\n".join(keys) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def create_key_file(path: Path) -> bool:
    """Create a key file with one fresh key unless it exists; True when created."""
    if path.exists():
        return False
    write_key_file(path, [generate_key()])
    return True


def keyring_from(secret_key: str, key_file: Path) -> Keyring:
    """The environment's keys win over the key file (containers, CI)."""
    if secret_key:
        return Keyring([k.strip() for k in secret_key.split(",") if k.strip()])
    if not key_file.exists():
        raise ConfigurationError(
            f"no encryption key: set ORDERHUB_SECRET_KEY or run `orderhub init` to create "
            f"{key_file}"
        )
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"key file {key_file} is readable by others (mode {mode:o}); run chmod 600 on it"
        )
    return Keyring(read_key_file(key_file))


_installed: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> None:
    global _installed
    _installed = keyring


def current_keyring() -> Keyring:
    if _installed is None:
        raise ConfigurationError("encryption keys not loaded (call core.app.open_app first)")
    return _installed
