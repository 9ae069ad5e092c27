"""Apps whose keys sit in a key file (as after `orderhub init`): rotation can add keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core import crypto
from core.app import App
from core.config import Settings
from core.startup import open_app


@pytest.fixture
def test_key(settings: Settings) -> str:
    """The key the test settings start with (the conftest's, from ORDERHUB_SECRET_KEY)."""
    return settings.secret_key


@pytest.fixture
def file_app(settings: Settings, test_key: str, tmp_path: Path) -> Iterator[App]:
    """The app with keys in a key file (as after `orderhub init`), not in the environment."""
    key_file = tmp_path / "keys" / "secret.keys"
    crypto.write_key_file(key_file, [test_key])
    application = open_app(replace(settings, secret_key="", key_file=key_file))
    yield application
    application.close()
