"""Key rotation: moving every stored secret onto the newest encryption key.

- `rotation`: add a key, report which stored values sit on which key, re-encrypt in
  batches (`orderhub keys`);
- `codecs`: how each encrypted column type stores a value, and how one value moves to the
  newest key.

The keyring and the ciphers themselves are `core.crypto`; this package only walks the
database.
"""
