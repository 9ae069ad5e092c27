"""Settings of the Pinduoduo platform plugin (the karrio `settings.py` role).

One object holds the app credentials and every knob of the client, built from the plain
mapping core hands a plugin. Pointing `gateway_url` and `auth_url` at the sandbox gateway
is the *only* difference between a test run and production, so nothing else may assume
which gateway it talks to.

Keys (all optional except `client_id` and `client_secret`):

- `client_id`, `client_secret`: the app's credentials from open.pinduoduo.com.
- `gateway_url`: the router (default `https://gw-api.pinduoduo.com/api/router`).
- `auth_url`: the merchant authorisation page (default
  `https://fuwu.pinduoduo.com/service-market/auth`).
- `connect_timeout`, `read_timeout`: seconds (defaults 5 and 30).
- `max_attempts`: tries per call for retryable failures, ≥ 1 (default 4).
- `backoff_base`, `backoff_max`: seconds; the n-th retry waits a random time in
  `[d/2, d]` with `d = min(backoff_max, backoff_base * 2**(n-1))` (defaults 0.5 and 8).
- `rate_limits`: per-API overrides of the §8 limits, e.g.
  `{"pdd.order.number.list.increment.get": {"shop": "6000/60", "total": ["20000/10"]}}`;
  a scope given here replaces that scope's defaults for the API.
- `rate_limit_enabled`: False turns the client-side limiter off (benchmarks against the
  sandbox; never against the real gateway).
- `rate_limit_max_wait`: the longest the limiter may make a call wait, seconds (default 60);
  beyond it the call fails with a retryable `ExternalError` instead of hanging.

Unknown keys are refused: a misspelt `client_secert` must not silently fall back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from core.errors import ConfigurationError

DEFAULT_GATEWAY_URL = "https://gw-api.pinduoduo.com/api/router"
DEFAULT_AUTH_URL = "https://fuwu.pinduoduo.com/service-market/auth"
SCOPES = ("shop", "total")


@dataclass(frozen=True)
class Limit:
    """At most `count` calls in any `seconds`-long stretch."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ConfigurationError(f"rate limit count must be a positive int, not {self.count!r}")
        if not isinstance(self.seconds, int | float) or not self.seconds > 0:
            raise ConfigurationError(f"rate limit period must be > 0 s, not {self.seconds!r}")

    @classmethod
    def parse(cls, value: object, where: str) -> Limit:
        """`"3000/60"`, `[3000, 60]` or a `Limit` → `Limit`; anything else names `where`."""
        if isinstance(value, Limit):
            return value
        try:
            if isinstance(value, str):
                count_text, _, seconds_text = value.partition("/")
                return cls(int(count_text.strip()), float(seconds_text.strip().rstrip("s")))
            if isinstance(value, list | tuple) and len(value) == 2:
                return cls(int(value[0]), float(value[1]))
        except (ValueError, ConfigurationError) as exc:
            raise ConfigurationError(
                f"pinduoduo setting {where}: {value!r} is not a limit like '3000/60' ({exc})"
            ) from None
        raise ConfigurationError(
            f"pinduoduo setting {where}: {value!r} is not a limit like '3000/60' or [3000, 60]"
        )

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}s"


#: Published limits (pinduoduo.md §8). "shop" = per authorised shop, "total" = for the app
#: as a whole (the SDK's API-total and per-app levels are both global to one orderhub).
DEFAULT_RATE_LIMITS: Mapping[str, Mapping[str, tuple[Limit, ...]]] = MappingProxyType(
    {
        "pdd.order.number.list.increment.get": {"shop": (Limit(3000, 60),)},
        "pdd.order.list.get": {"shop": (Limit(10000, 60),), "total": (Limit(17500, 10),)},
        "pdd.order.information.get": {"shop": (Limit(30000, 60),), "total": (Limit(2000, 1),)},
        "pdd.order.status.get": {"shop": (Limit(3000, 60),)},
        "pdd.logistics.online.send": {"total": (Limit(5000, 1),)},
        "pdd.logistics.companies.get": {"total": (Limit(1200, 10),)},
        "pdd.waybill.get": {"total": (Limit(50000, 1), Limit(750000, 10))},
        "pdd.waybill.search": {"total": (Limit(6000, 1),)},
        "pdd.cloudprint.stdtemplates.get": {"total": (Limit(6000, 1),)},
        "pdd.open.decrypt.batch": {"total": (Limit(10050, 10), Limit(19500, 10))},
        "pdd.open.decrypt.mask.batch": {"total": (Limit(15000, 10), Limit(60000, 10))},
        # Not in §8: a cautious per-shop default (quantity.py says why).
        "pdd.goods.quantity.update": {"shop": (Limit(600, 60),)},
    }
)


@dataclass(frozen=True)
class PinduoduoSettings:
    """Validated plugin settings; `repr` never shows the secret."""

    client_id: str
    client_secret: str = field(repr=False)
    gateway_url: str = DEFAULT_GATEWAY_URL
    auth_url: str = DEFAULT_AUTH_URL
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    rate_limits: Mapping[str, Mapping[str, tuple[Limit, ...]]] = field(
        default_factory=lambda: DEFAULT_RATE_LIMITS, repr=False
    )
    rate_limit_enabled: bool = True
    rate_limit_max_wait: float = 60.0

    def __post_init__(self) -> None:
        for name in ("client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(
                    f"pinduoduo setting {name} is missing: set the app's {name} from "
                    "open.pinduoduo.com (or the sandbox's)",
                    setting=name,
                )
        for name in ("gateway_url", "auth_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ConfigurationError(
                    f"pinduoduo setting {name} must be an http(s) URL, not {value!r}",
                    setting=name,
                )
        for name in ("connect_timeout", "read_timeout", "backoff_max", "rate_limit_max_wait"):
            _positive_number(self, name, allow_zero=False)
        _positive_number(self, "backoff_base", allow_zero=True)
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigurationError("pinduoduo setting max_attempts must be an integer")
        if not 1 <= self.max_attempts <= 20:
            raise ConfigurationError(
                f"pinduoduo setting max_attempts must be 1-20, not {self.max_attempts}"
            )
        if not isinstance(self.rate_limit_enabled, bool):
            raise ConfigurationError("pinduoduo setting rate_limit_enabled must be true or false")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PinduoduoSettings:
        """Build from the plugin's settings mapping; unknown keys raise `ConfigurationError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown pinduoduo setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}",
                setting=unknown[0],
            )
        kwargs = dict(values)
        if "rate_limits" in kwargs:
            kwargs["rate_limits"] = merge_rate_limits(kwargs["rate_limits"])
        for name in (
            "connect_timeout",
            "read_timeout",
            "backoff_base",
            "backoff_max",
            "rate_limit_max_wait",
        ):
            if isinstance(kwargs.get(name), str):
                kwargs[name] = _number_text(kwargs[name], name)
        if isinstance(kwargs.get("max_attempts"), str):
            kwargs["max_attempts"] = int(_number_text(kwargs["max_attempts"], "max_attempts"))
        if isinstance(kwargs.get("rate_limit_enabled"), str):
            kwargs["rate_limit_enabled"] = _flag_text(kwargs["rate_limit_enabled"])
        kwargs.setdefault("client_id", "")
        kwargs.setdefault("client_secret", "")
        return cls(**kwargs)

    def limits_for(self, api: str) -> Mapping[str, tuple[Limit, ...]]:
        """The limits that apply to `api` by scope; empty when the notes publish none."""
        return self.rate_limits.get(api, {})


def merge_rate_limits(overrides: object) -> Mapping[str, Mapping[str, tuple[Limit, ...]]]:
    """The defaults with `overrides` applied scope by scope (see the module docstring)."""
    if not isinstance(overrides, Mapping):
        raise ConfigurationError(
            f"pinduoduo setting rate_limits must be a table of API names, not {overrides!r}"
        )
    merged = {api: dict(scopes) for api, scopes in DEFAULT_RATE_LIMITS.items()}
    for api, scopes in overrides.items():
        if not isinstance(scopes, Mapping):
            raise ConfigurationError(
                f"pinduoduo setting rate_limits.{api} must be a table of scopes (shop, total)"
            )
        target = merged.setdefault(str(api), {})
        for scope, value in scopes.items():
            if scope not in SCOPES:
                raise ConfigurationError(
                    f"pinduoduo setting rate_limits.{api}.{scope}: unknown scope; "
                    f"use {' or '.join(SCOPES)}"
                )
            where = f"rate_limits.{api}.{scope}"
            many = isinstance(value, list | tuple) and value and not isinstance(value[0], int)
            items = value if many else [value]
            target[scope] = tuple(Limit.parse(item, where) for item in items)
    return MappingProxyType({api: MappingProxyType(s) for api, s in merged.items()})


def _positive_number(obj: PinduoduoSettings, name: str, *, allow_zero: bool) -> None:
    value = getattr(obj, name)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigurationError(
            f"pinduoduo setting {name} must be a number {bound} (seconds), not {value!r}",
            setting=name,
        )


def _number_text(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(
            f"pinduoduo setting {name} must be a number of seconds, not {value!r}", setting=name
        ) from None


def _flag_text(value: str) -> bool:
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(
        f"pinduoduo setting rate_limit_enabled must be true or false, not {value!r}",
        setting="rate_limit_enabled",
    )
