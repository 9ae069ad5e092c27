"""Backup files that only their owner can read, from the first byte.

A backup holds password and token hashes, so the copy, its manifest and every temporary
file on the way are created 0600 (`O_EXCL`, so we never reuse a file someone else made
readable), whatever the umask; the backends then write into the file created here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MODE = stat.S_IRUSR | stat.S_IWUSR  # 0600


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600; a leftover file of that name is removed first."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    os.chmod(path, PRIVATE_MODE)  # in case a filesystem ignored the open mode


def write_private_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) through a 0600 temporary file beside it."""
    tmp = path.with_name(path.name + ".partial")
    create_private(tmp)
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
