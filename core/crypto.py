"""Field encryption for secrets at rest (platform tokens, TOTP seeds, buyer personal data).

A keyring of Fernet-format keys: the first key encrypts, every key decrypts, so a rotation
adds a key in front and old ciphertext keeps working until `reencrypt` has moved it to
the new key. Values are sealed with AES-128-GCM (from `cryptography`) under a key derived
from each Fernet key with HKDF, as `aead:` + base64url(key id ‖ nonce ‖ ciphertext ‖ tag):
one authenticated call, about five times cheaper than Fernet's CBC + HMAC + base64 — it
matters when an import encrypts four fields of 100,000 orders. The key id (8 bytes of a
hash of the key) picks the key without trial decryption. Nonces are 96 random bits: under
one key that is safe for billions of values (NIST SP 800-38D's 2³² bound). Values written
by earlier versions (`fernet:` + a Fernet token) still decrypt, and `rotate` rewrites them
in the new form. `seal`/`unseal` are the same construction on bytes, for binary columns.
`mac_key` gives a per-purpose HMAC key (HKDF again, its own `info`), e.g. for backups.

Keys come from `ORDERHUB_SECRET_KEY` (comma-separated, newest first) or a key file
created with mode 0600 on `orderhub init` (one key per line, newest first).

A process-wide keyring is installed with `install_keyring`, because SQLAlchemy column types
(`EncryptedText` in `core.models.base`) have no per-session context to carry one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from base64 import urlsafe_b64decode, urlsafe_b64encode
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigurationError

_PREFIX = "aead:"
_FERNET_PREFIX = "fernet:"  # written by orderhub before the AEAD form; still read
_SEAL_VERSION = b"\x01"
_KEY_ID_BYTES = 8
_NONCE_BYTES = 12
_SEAL_OVERHEAD = 1 + _KEY_ID_BYTES + _NONCE_BYTES + 16


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
        self._key_ids = [_key_id(k) for k in self._keys]
        self._aeads = [AESGCM(_aead_key(k)) for k in self._keys]
        self._search_keys: dict[str, bytes] = {}  # purpose → HMAC key (see keyed_hash)
        self._by_id = {kid: i for i, kid in reversed(list(enumerate(self._key_ids)))}

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    @property
    def fingerprints(self) -> list[str]:
        """Short public ids of the keys (same order), safe to print and to store in manifests."""
        return [fingerprint(k) for k in self._keys]

    def encrypt(self, plaintext: str) -> str:
        return _PREFIX + urlsafe_b64encode(self.seal(plaintext.encode("utf-8"))).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        if isinstance(ciphertext, str) and ciphertext.startswith(_PREFIX):
            return self.unseal(_sealed_bytes(ciphertext)).decode("utf-8")
        token = _token(ciphertext)
        try:
            return self._multi.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise _unreadable(len(self._keys)) from exc

    def seal(self, data: bytes) -> bytes:
        """`data` encrypted and authenticated under the newest key (bytes in, bytes out)."""
        nonce = os.urandom(_NONCE_BYTES)
        return _SEAL_VERSION + self._key_ids[0] + nonce + self._aeads[0].encrypt(nonce, data, None)

    def unseal(self, sealed: bytes) -> bytes:
        index = self._sealed_key_index(sealed)
        if index is None:
            raise _unreadable(len(self._keys))
        body = 1 + _KEY_ID_BYTES + _NONCE_BYTES
        try:
            return self._aeads[index].decrypt(sealed[1 + _KEY_ID_BYTES : body], sealed[body:], None)
        except InvalidTag as exc:
            raise _unreadable(len(self._keys)) from exc

    def reseal(self, sealed: bytes) -> bytes:
        """Sealed bytes under the newest key (same plaintext, new bytes)."""
        return self.seal(self.unseal(sealed))

    def sealed_key_index(self, sealed: bytes) -> int | None:
        """Position of the key that opens `sealed` (0 = newest), None when none does."""
        index = self._sealed_key_index(sealed)
        if index is None:
            return None
        try:
            self.unseal(sealed)
        except ConfigurationError:
            return None
        return index

    def _sealed_key_index(self, sealed: bytes) -> int | None:
        if len(sealed) < _SEAL_OVERHEAD or sealed[:1] != _SEAL_VERSION:
            raise ConfigurationError(
                "stored secret is damaged: not a sealed orderhub value (unknown version or "
                "too short)"
            )
        return self._by_id.get(bytes(sealed[1 : 1 + _KEY_ID_BYTES]))

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key (no-op in meaning, new bytes)."""
        try:
            return self.encrypt(self.decrypt(ciphertext))
        except ConfigurationError as exc:
            raise ConfigurationError(
                "cannot re-encrypt a stored secret: none of the configured keys fits it, "
                "or the stored value was altered"
            ) from exc

    def is_current(self, ciphertext: str) -> bool:
        """True when the value is in the current form under the newest key."""
        return ciphertext.startswith(_PREFIX) and self.key_index(ciphertext) == 0

    def key_index(self, ciphertext: str) -> int | None:
        """Position of the key that decrypts it (0 = newest), None when no key fits."""
        if isinstance(ciphertext, str) and ciphertext.startswith(_PREFIX):
            return self.sealed_key_index(_sealed_bytes(ciphertext))
        token = _token(ciphertext)
        for index, fernet in enumerate(self._fernets):
            try:
                fernet.decrypt(token)
            except InvalidToken:
                continue
            return index
        return None

    def mac_key(self, purpose: str, key_fingerprint: str | None = None) -> bytes | None:
        """A 256-bit HMAC key for `purpose` alone, derived with HKDF; never a raw key.

        From the newest key, or from the key with `key_fingerprint` (the one a stored MAC
        names, so a MAC made before a rotation still checks). None when no key has it.
        """
        if key_fingerprint is None:
            key = self._keys[0]
        else:
            key = next((k for k in self._keys if fingerprint(k) == key_fingerprint), None)
            if key is None:
                return None
        return _derive(key, 32, b"orderhub-mac-v1:" + purpose.encode("ascii"))

    def keyed_hash(self, value: str, purpose: str) -> str:
        """Deterministic HMAC for exact-match search on encrypted fields (e.g. a phone).

        Derived from the *oldest* key so it stays stable across rotations.
        """
        base = self._search_keys.get(purpose)
        if base is None:
            seed = ("orderhub-search:" + purpose + self._keys[-1]).encode()
            base = self._search_keys[purpose] = hashlib.sha256(seed).digest()
        return hmac.digest(base, value.encode("utf-8"), "sha256").hex()


def _token(ciphertext: str) -> bytes:
    """The Fernet token inside an orderhub ciphertext, or a typed error saying what is wrong."""
    if not isinstance(ciphertext, str) or not ciphertext.startswith(_FERNET_PREFIX):
        raise ConfigurationError(
            "value is not an orderhub ciphertext (expected the 'aead:' or 'fernet:' prefix)"
        )
    try:
        return ciphertext[len(_FERNET_PREFIX) :].encode("ascii")
    except UnicodeEncodeError as exc:
        raise ConfigurationError("stored secret is damaged: not a valid Fernet token") from exc


def _sealed_bytes(ciphertext: str) -> bytes:
    try:
        return urlsafe_b64decode(ciphertext[len(_PREFIX) :].encode("ascii"))
    except (UnicodeEncodeError, ValueError) as exc:
        raise ConfigurationError("stored secret is damaged: not valid base64") from exc


def _unreadable(key_count: int) -> ConfigurationError:
    return ConfigurationError(
        "cannot decrypt a stored secret: none of the configured keys "
        f"({key_count}) fits, or the stored value was altered "
        "(was the key file replaced instead of rotated?)"
    )


def _key_id(key: str) -> bytes:
    return hashlib.sha256(("orderhub-aead-id:" + key).encode("ascii")).digest()[:_KEY_ID_BYTES]


def _aead_key(key: str) -> bytes:
    """A 128-bit AES-GCM key derived from the whole Fernet key (HKDF-SHA256)."""
    return _derive(key, 16, b"orderhub-aead-v1")


def _derive(key: str, length: int, info: bytes) -> bytes:
    """`length` bytes for the one use `info` names, from the whole Fernet key (HKDF-SHA256)."""
    material = urlsafe_b64decode(key.encode("ascii") if isinstance(key, str) else key)
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(material)


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def fingerprint(key: str) -> str:
    """A 12-hex-digit id of a key: tells keys apart without revealing them."""
    return hashlib.sha256(("orderhub-key-id:" + key).encode("ascii")).hexdigest()[:12]


def read_key_file(path: Path) -> list[str]:
    text = path.read_text(encoding="ascii")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def write_key_file(path: Path, keys: list[str]) -> None:
    """Write keys atomically with mode 0600 from the first byte (never readable by others).

    A stale temporary file is removed first so `O_EXCL` guarantees we own a fresh 0600 file.
    File and directory are fsynced before and after the rename: callers re-encrypt data under
    a new key right after this, and a key that a power cut loses would lose that data.
    """
    Keyring(keys)  # refuse to write keys that could not be loaded again
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("# orderhub encryption keys, newest first. Keep this file secret and backed up.\n")
        fh.write("\n".join(keys) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)  # in case the umask or a filesystem ignored the open mode
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        raise ConfigurationError("encryption keys not loaded (call core.startup.open_app first)")
    return _installed
