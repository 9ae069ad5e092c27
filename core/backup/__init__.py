"""Backup and restore of the whole database, with a manifest that proves the copy.

- `service`: `backup` and `restore` (one file plus `PATH.manifest.json`; restore only into
  an empty database of the same backend, after checking the checksum and the HMAC, keyed
  from the encryption keys);
- `sqlite`: SQLite's online backup API, forwards and in reverse;
- `postgres`: `pg_dump` / `pg_restore`, driven from an exported snapshot;
- `files`: creating the backup's files 0600 from the first byte.

The backup never contains the encryption keys: keep the key file apart.
"""
