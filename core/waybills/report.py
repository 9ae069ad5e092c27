"""What an allocation did, package by package: the report `allocate`, `reallocate` and
the print-job flow hand back to front ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.waybills.cancel import CancelOutcome


@dataclass(frozen=True)
class PackageOutcome:
    """`allocated` | `kept` | `busy` (another allocation holds it) | `failed`."""

    package_id: int
    outcome: str
    number: str = ""
    waybill_id: int | None = None
    error: str = ""
    retryable: bool = False
    warning: str = ""


@dataclass
class AllocationReport:
    """One outcome per package in the order asked; `compensated` lists numbers drawn but
    cancelled at the carrier because they could not be kept; `cancelled` the old
    waybills a re-allocation cancelled; `aborted` why later batches were not attempted."""

    account: str
    outcomes: list[PackageOutcome] = field(default_factory=list)
    compensated: list[str] = field(default_factory=list)  # numbers cancelled at the carrier
    cancelled: list[CancelOutcome] = field(default_factory=list)  # reallocate
    aborted: str = ""

    def of(self, outcome: str) -> list[PackageOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    @property
    def allocated(self) -> list[PackageOutcome]:
        return self.of("allocated")

    @property
    def kept(self) -> list[PackageOutcome]:
        return self.of("kept")

    @property
    def failed(self) -> list[PackageOutcome]:
        return self.of("failed")

    @property
    def busy(self) -> list[PackageOutcome]:
        return self.of("busy")

    @property
    def warnings(self) -> list[str]:
        return [f"package {o.package_id}: {o.warning}" for o in self.outcomes if o.warning]
