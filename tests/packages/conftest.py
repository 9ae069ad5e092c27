"""Fixtures for merge/split and assignment tests: a desk of orders in a plain shop."""

from __future__ import annotations

import pytest

from core.app import App
from tests.conftest import OrgFixture
from tests.packages.desk import Desk


@pytest.fixture
def desk(app: App, acme: OrgFixture) -> Desk:
    return Desk(app, acme)
