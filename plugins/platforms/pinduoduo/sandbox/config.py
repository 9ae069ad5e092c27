"""Everything that shapes a sandbox run, in one frozen object.

Defaults suit tests: a few hundred orders over the last week in two shops, tokens that
live a day, the published rate limits on, no faults, no background activity. The
`orderhub sandbox` command turns on a little activity so the demo keeps moving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plugins.platforms.pinduoduo.sandbox.faults import FaultSpec

#: (count, seconds) limits per API and scope; see ratelimit.PUBLISHED_LIMITS for the defaults.
LimitTable = Mapping[str, Mapping[str, tuple[tuple[int, float], ...]]]

MOVING_MODES = ("into_window", "to_now", "mixed")


@dataclass(frozen=True)
class SandboxConfig:
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    seed: int = 1
    shops: int = 2
    orders: int = 300  # seeded orders over all shops
    history_days: float = 7.0  # seeded orders were created within this many days before start
    start_time: int | None = None  # Unix seconds the seed is generated "as of"; None = now
    token_ttl: int = 86_400  # access token lifetime, seconds
    refresh_token_ttl: int = 30 * 86_400
    code_ttl: int = 600  # authorization codes: 10 minutes, single use
    timestamp_tolerance: int = 600  # the `timestamp` parameter may be this far off
    rate_limits: bool = True
    rate_limit_overrides: LimitTable = field(default_factory=dict)
    faults: FaultSpec = field(default_factory=FaultSpec)
    # Moving data: each increment page request changes this many of the shop's orders.
    mutate_per_page: int = 0
    mutate_mode: str = "into_window"
    # Background activity in simulated time (Poisson rates per hour, over all shops).
    new_orders_per_hour: float = 0.0
    updates_per_hour: float = 0.0
    waybill_quantity: int = 10_000  # starting balance of each e-waybill branch
    state_file: Path | None = None

    def __post_init__(self) -> None:
        checks = (
            (self.shops >= 1, "shops must be ≥ 1"),
            (self.orders >= 0, "orders must be ≥ 0"),
            (self.history_days > 0, "history_days must be > 0"),
            (self.token_ttl > 0 and self.refresh_token_ttl > 0, "token lifetimes must be > 0"),
            (self.code_ttl > 0, "code_ttl must be > 0"),
            (self.mutate_per_page >= 0, "mutate_per_page must be ≥ 0"),
            (self.mutate_mode in MOVING_MODES, f"mutate_mode must be one of {MOVING_MODES}"),
            (
                self.new_orders_per_hour >= 0 and self.updates_per_hour >= 0,
                "activity rates must be ≥ 0",
            ),
            (self.waybill_quantity >= 0, "waybill_quantity must be ≥ 0"),
            (bool(self.client_id and self.client_secret), "client id and secret are required"),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(f"sandbox config: {message}")
        if isinstance(self.faults, str):
            object.__setattr__(self, "faults", FaultSpec.parse(self.faults))
