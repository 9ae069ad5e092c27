"""Fault injection: the ways the real gateway misbehaves, on demand and reproducibly.

A `FaultSpec` is a list of rules (kind, probability, optional API names) plus settings. It
is written either as text — for `orderhub sandbox --faults` —

    500=0.05,52101=0.05@pdd.order.number.list.increment.get,timeout=0.01,delay=3,seed=7

or as JSON (`{"rules": [{"kind": "500", "probability": 0.05, "apis": [...]}], ...}`).

Kinds: `500`, `502`, `503` (HTTP error page, request not processed); `52101`, `70031`,
`52103` (rate-limit / degraded `error_response`, not processed); `timeout` (the request IS
processed, then the answer is held back `delay` seconds — longer than the client waits —
which is the case that tests idempotency); `malformed` (processed, answer cut in half).
`slow` processes the request and answers after a quarter of `delay` (a slow answer that
still arrives within the client's wait; not part of `mixed`, so existing mixed
specifications keep their meaning). `mixed=P` spreads P evenly over the eight kinds
above. `token_expiry=N` expires an access token after every N successful calls made with
it (10019 on the next call), forcing refreshes mid-sync. One seeded draw per gateway
request decides, so a run is reproducible for a given seed and request order.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HTTP_KINDS = ("500", "502", "503")
CODE_KINDS = ("52101", "70031", "52103")
KINDS = (*HTTP_KINDS, *CODE_KINDS, "timeout", "malformed")
#: Kinds that `mixed` leaves out.
EXTRA_KINDS = ("slow",)
TOKEN_EXPIRY = "token_expiry"


class FaultSpecError(ValueError):
    """A fault specification that cannot be understood; the message names the part."""


@dataclass(frozen=True)
class FaultRule:
    kind: str
    probability: float
    apis: frozenset[str] | None = None  # None: every API

    def __post_init__(self) -> None:
        if self.kind not in KINDS + EXTRA_KINDS:
            known = ", ".join(KINDS + EXTRA_KINDS)
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; known: {known}")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultSpecError(f"probability of {self.kind} must be in [0, 1]")

    def applies_to(self, api: str) -> bool:
        return self.apis is None or api in self.apis


@dataclass(frozen=True)
class FaultSpec:
    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    delay: float = 35.0  # seconds a `timeout` holds the answer back
    token_expiry: int = 0  # expire a token after this many calls; 0 = never
    token_expiry_apis: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise FaultSpecError("delay must be ≥ 0 seconds")
        if self.token_expiry < 0:
            raise FaultSpecError("token_expiry must be ≥ 0 calls")
        apis = {a for r in self.rules for a in (r.apis or {"*"})}
        for api in apis:
            total = sum(r.probability for r in self.rules if r.apis is None or api in r.apis)
            if total > 1.0 + 1e-9:
                raise FaultSpecError(f"fault probabilities for {api} add up to {total:.3f} > 1")

    @property
    def active(self) -> bool:
        return bool(self.token_expiry) or any(r.probability > 0 for r in self.rules)

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """The comma-separated text form (see the module docstring); '' means no faults."""
        rules: list[FaultRule] = []
        settings: dict[str, Any] = {}
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            if not sep:
                raise FaultSpecError(f"fault item {item!r} must look like kind=value")
            value, _, targets = value.partition("@")
            apis = frozenset(t.strip() for t in targets.split("|") if t.strip()) or None
            name = name.strip().lower()
            try:
                if name == "mixed":
                    share = float(value) / len(KINDS)
                    rules.extend(FaultRule(kind, share, apis) for kind in KINDS)
                elif name in KINDS + EXTRA_KINDS:
                    rules.append(FaultRule(name, float(value), apis))
                elif name == TOKEN_EXPIRY:
                    settings["token_expiry"] = int(value)
                    settings["token_expiry_apis"] = apis
                elif name in ("seed", "delay"):
                    settings[name] = int(value) if name == "seed" else float(value)
                else:
                    raise FaultSpecError(
                        f"unknown fault item {name!r}; known: {', '.join(KINDS)}, mixed, "
                        "token_expiry, delay, seed"
                    )
            except ValueError as exc:
                if isinstance(exc, FaultSpecError):
                    raise
                raise FaultSpecError(f"fault item {item!r}: {value!r} is not a number") from exc
        return cls(rules=tuple(rules), **settings)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultSpec:
        """`{"spec": "<text>"}` or `{"rules": [...], "seed", "delay", "token_expiry", ...}`."""
        if "spec" in data:
            return cls.parse(str(data["spec"]))
        unknown = set(data) - {"rules", "seed", "delay", "token_expiry", "token_expiry_apis"}
        if unknown:
            raise FaultSpecError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        try:
            rules = tuple(
                FaultRule(str(r["kind"]), float(r["probability"]), _apis(r.get("apis")))
                for r in data.get("rules", ())
            )
            return cls(
                rules=rules,
                seed=int(data.get("seed", 0)),
                delay=float(data.get("delay", 35.0)),
                token_expiry=int(data.get("token_expiry", 0)),
                token_expiry_apis=_apis(data.get("token_expiry_apis")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FaultSpecError):
                raise
            raise FaultSpecError(f"bad fault settings: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": [
                {
                    "kind": r.kind,
                    "probability": r.probability,
                    "apis": sorted(r.apis) if r.apis else None,
                }
                for r in self.rules
            ],
            "seed": self.seed,
            "delay": self.delay,
            "token_expiry": self.token_expiry,
            "token_expiry_apis": sorted(self.token_expiry_apis) if self.token_expiry_apis else None,
        }


def _apis(value: Iterable[str] | None) -> frozenset[str] | None:
    return frozenset(value) if value else None


@dataclass
class FaultInjector:
    """Rolls the dice for each gateway request and counts what it injected."""

    spec: FaultSpec = field(default_factory=FaultSpec)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.spec.seed)
        self.counts: Counter[str] = Counter()
        self.counts_by_api: Counter[tuple[str, str]] = Counter()

    def configure(self, spec: FaultSpec) -> None:
        """Replace the rules, reseed and zero the counters."""
        with self._lock:
            self.spec = spec
            self._rng = random.Random(spec.seed)
            self.counts.clear()
            self.counts_by_api.clear()

    def roll(self, api: str) -> str | None:
        """The fault to inject into this request, or None."""
        spec = self.spec
        if not spec.rules:
            return None
        with self._lock:
            draw = self._rng.random()
            edge = 0.0
            for rule in spec.rules:
                if rule.probability and rule.applies_to(api):
                    edge += rule.probability
                    if draw < edge:
                        self._count(rule.kind, api)
                        return rule.kind
        return None

    def token_expires_now(self, api: str, calls_with_token: int) -> bool:
        """True when a token that has served `calls_with_token` calls must expire here."""
        spec = self.spec
        if not spec.token_expiry or calls_with_token < spec.token_expiry:
            return False
        if spec.token_expiry_apis is not None and api not in spec.token_expiry_apis:
            return False
        with self._lock:
            self._count(TOKEN_EXPIRY, api)
        return True

    def _count(self, kind: str, api: str) -> None:
        self.counts[kind] += 1
        self.counts["total"] += 1
        self.counts_by_api[(kind, api)] += 1

    def report(self) -> dict[str, Any]:
        with self._lock:
            by_api: dict[str, dict[str, int]] = {}
            for (kind, api), n in sorted(self.counts_by_api.items()):
                by_api.setdefault(api, {})[kind] = n
            return {"spec": self.spec.to_json(), "counts": dict(self.counts), "by_api": by_api}
