"""Reading a driver's settings mapping into typed values, with errors that name the driver
and the setting, and turning the contract's `timeout` arguments into deadlines.

Settings come from the printer's stored configuration (TOML, the settings screen, the API),
so they may be strings where numbers are meant; each reader accepts both and refuses
anything else with a `ConfigurationError` the operator can act on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from core.errors import ConfigurationError, ValidationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsReader:
    """Typed access to one driver's settings; `label` names the driver in messages."""

    def __init__(self, label: str, settings: Mapping[str, Any]) -> None:
        self.label = label
        self.settings = settings

    def _bad(self, key: str, expected: str, value: object) -> ConfigurationError:
        return ConfigurationError(
            f"{self.label}: setting {key!r} must be {expected}, not {value!r}",
            setting=key,
        )

    def text(self, key: str, default: str | None = None) -> str | None:
        """A string setting; None or blank → `default`."""
        value = self.settings.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if not isinstance(value, str):
            raise self._bad(key, "a string", value)
        return value.strip()

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise ConfigurationError(f"{self.label}: setting {key!r} is required", setting=key)
        return value

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        """An integer in [low, high]; accepts "0x1f"-style hex strings too."""
        value = self.settings.get(key)
        if value is None or value == "":
            return default
        try:
            number = int(value, 0) if isinstance(value, str) else value
        except ValueError:
            raise self._bad(key, f"an integer {low}-{high}", value) from None
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise self._bad(key, f"an integer {low}-{high}", value)
        return number

    def seconds(self, key: str, default: float) -> float:
        """A positive, finite number of seconds (never "wait forever")."""
        value = self.settings.get(key)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self._bad(key, "a positive number of seconds", value) from None
        if isinstance(value, bool) or not 0 < number < math.inf:
            raise self._bad(key, "a positive number of seconds", value)
        return number

    def flag(self, key: str, default: bool) -> bool:
        value = self.settings.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self._bad(key, "true or false", value)

    def choice(self, key: str, options: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(key, default)
        if value is not None and value.lower() not in options:
            raise self._bad(key, "one of " + ", ".join(options), value)
        return value.lower() if value is not None else None


def timeout_seconds(timeout: float | None, default: float) -> float:
    """The contract's `timeout` argument: None means the driver's default; anything else
    must be a positive, finite number of seconds."""
    if timeout is None:
        return default
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ValidationError(f"timeout must be a number of seconds, not {timeout!r}")
    if not 0 < timeout < math.inf:
        raise ValidationError(f"timeout must be positive and finite, not {timeout!r}")
    return float(timeout)


class Deadline:
    """A point in (monotonic) time; `remaining()` is what is left of it, never below 0."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at
