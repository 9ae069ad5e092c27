"""Fixtures for the Pinduoduo plugin tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from tests.pinduoduo.scripted_gateway import CLIENT_ID, SECRET, ScriptedGateway


class RecordingSleep:
    """Records back-off and rate-limit waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class NoLimit:
    def acquire(self, api: str, shop: str | None) -> float:
        return 0.0


@pytest.fixture
def gateway() -> Iterator[ScriptedGateway]:
    server = ScriptedGateway()
    yield server
    server.close()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


def platform_settings(gateway: ScriptedGateway, **overrides: object) -> dict[str, object]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "gateway_url": gateway.url,
        "auth_url": gateway.url.replace("/api/router", "/service-market/auth"),
        "connect_timeout": 2,
        "read_timeout": 2,
        "max_attempts": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        **overrides,
    }


@pytest.fixture
def platform(gateway: ScriptedGateway, sleeps: RecordingSleep) -> Iterator[PinduoduoPlatform]:
    with PinduoduoPlatform(platform_settings(gateway), limiter=NoLimit(), sleep=sleeps) as p:
        yield p
