"""`Carrier`: an e-waybill (电子面单) source — a platform's waybill service or a carrier's own
API — that hands out tracking numbers and the data to print them.

Core builds one instance per carrier account with that account's credentials in `settings`
(for a platform waybill service that includes the shop's current access token). Remote
failures of a whole call raise `core.errors.ExternalError` (`retryable` as for platforms);
a failure of one request inside a batch is reported in its `WaybillResult` instead, so one
bad address does not fail the other nine labels.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from core.contracts.base import Contract
from core.contracts.types import Contact, frozen_mapping, required_text
from core.errors import ValidationError

#: Longest routing text kept (a sort code is ~12 characters, a hub name ~20).
MAX_ROUTING_CHARS = 64


@dataclass(frozen=True)
class WaybillSubscription:
    """One branch (网点) of one carrier this account may draw waybills from.
    `remaining` is the balance the carrier reports, None when it reports none."""

    carrier_code: str
    branch_code: str
    branch_name: str = ""
    remaining: int | None = None
    sender_addresses: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class WaybillItem:
    """A goods line as printed on the label (name and count only)."""

    name: str
    quantity: int


@dataclass(frozen=True)
class WaybillRequest:
    """Ask for one waybill. `request_id` is the caller's id (the package), echoed back in
    the result; carriers that deduplicate on it make a retried request return the same
    number instead of a second one. `recipient` may hold platform ciphertext."""

    request_id: str
    carrier_code: str
    sender: Contact
    recipient: Contact
    order_numbers: tuple[str, ...]
    items: tuple[WaybillItem, ...]
    template: str = ""  # the carrier's or platform's template id or URL
    branch_code: str = ""
    order_channel: str = "OTHERS"  # where the orders were sold: PDD, TB, JD, … or OTHERS
    weight_g: int | None = None
    services: Mapping[str, str] = field(default_factory=dict)  # value-added services

    def __post_init__(self) -> None:
        required_text(self.request_id, "request_id")
        required_text(self.carrier_code, "carrier_code")
        object.__setattr__(self, "order_numbers", tuple(self.order_numbers))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "services", frozen_mapping(self.services))


@dataclass(frozen=True)
class SortCode:
    """Where the carrier routes a parcel, as printed in a label's sort area: the sort code
    (三段码, or the 大头笔 text when the carrier gives no code), the 大头笔 destination
    text, and the consolidation hub (集包地) name and code. Not buyer data: it names
    carrier sites and regions, never the receiver."""

    sort_code: str = ""
    route_name: str = ""
    consolidation_name: str = ""
    consolidation_code: str = ""

    def __post_init__(self) -> None:
        for name in ("sort_code", "route_name", "consolidation_name", "consolidation_code"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ValidationError(f"routing {name} must be text, not {value!r}", field=name)
            object.__setattr__(self, name, value.strip()[:MAX_ROUTING_CHARS])

    def __bool__(self) -> bool:
        return any(
            (self.sort_code, self.route_name, self.consolidation_name, self.consolidation_code)
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "sort_code": self.sort_code,
            "route_name": self.route_name,
            "consolidation_name": self.consolidation_name,
            "consolidation_code": self.consolidation_code,
        }

    @classmethod
    def from_dict(cls, value: object) -> SortCode | None:
        """From `to_dict()`'s shape (as stored); None for anything else or all empty."""
        if not isinstance(value, Mapping):
            return None
        found = cls(**{k: str(value.get(k) or "") for k in cls.__dataclass_fields__})
        return found or None


@dataclass(frozen=True)
class Waybill:
    """An allocated waybill. `print_data` is kept exactly as the carrier returned it: for a
    platform print component it is an encrypted, signed payload we must not alter.
    `routing` is the sort code and hub the carrier gave in clear (None when it gave none,
    e.g. only inside encrypted print data)."""

    carrier_code: str
    number: str
    print_data: str = ""
    parent_number: str = ""  # the master number of a multi-piece shipment
    request_id: str = ""
    routing: SortCode | None = None

    def __post_init__(self) -> None:
        required_text(self.number, "number")
        if self.routing is not None and not isinstance(self.routing, SortCode):
            raise ValidationError("waybill routing must be a SortCode or None", field="routing")


@dataclass(frozen=True)
class WaybillResult:
    """The outcome of one `WaybillRequest`: a `waybill`, or an `error` (and whether trying
    the same request again may work)."""

    request_id: str
    waybill: Waybill | None = None
    error: str = ""
    retryable: bool = False

    def __post_init__(self) -> None:
        if (self.waybill is None) == (not self.error):
            raise ValidationError(
                f"waybill result for {self.request_id!r} needs exactly one of waybill or error"
            )


@dataclass(frozen=True)
class WaybillRef:
    """Names an existing waybill for cancel and reprint queries."""

    carrier_code: str
    number: str


class Carrier(Contract, ABC):
    """An e-waybill source. `name` identifies the plugin ("pdd-waybill"); the carriers it
    serves are named by `carrier_code` (the platform's `wp_code`: "YTO", "ZTO", …)."""

    kind: ClassVar[str] = "carrier"
    #: Most requests one `allocate` call takes (Pinduoduo: 10). Core splits larger batches.
    MAX_BATCH: ClassVar[int] = 10
    #: carrier code → regex of its tracking numbers. A soft check only: never reject a
    #: number the carrier itself returned (see printing.md §5).
    TRACKING_NUMBER_PATTERNS: ClassVar[Mapping[str, str]] = MappingProxyType({})
    SUPPORTS_CANCEL: ClassVar[bool] = False
    SUPPORTS_REPRINT_QUERY: ClassVar[bool] = False
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"SUPPORTS_CANCEL": "cancel_waybill", "SUPPORTS_REPRINT_QUERY": "query_waybills"}
    )

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """Flags, the batch size, and the carrier codes with a tracking-number pattern."""
        return {
            **super().capabilities(),
            "max_batch": cls.MAX_BATCH,
            "tracking_patterns": sorted(cls.TRACKING_NUMBER_PATTERNS),
        }

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        problems = []
        if isinstance(cls.MAX_BATCH, bool) or not isinstance(cls.MAX_BATCH, int):
            problems.append(f"MAX_BATCH must be an int, not {cls.MAX_BATCH!r}")
        elif cls.MAX_BATCH < 1:
            problems.append(f"MAX_BATCH must be at least 1, not {cls.MAX_BATCH}")
        for code, pattern in cls.TRACKING_NUMBER_PATTERNS.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"tracking-number pattern for {code!r} is not a regex: {exc}")
        return problems

    @classmethod
    def tracking_number_matches(cls, carrier_code: str, number: str) -> bool | None:
        """Whether `number` looks like `carrier_code`'s tracking numbers; None if this
        plugin knows no pattern for that carrier. For warnings and guesses, not rejection."""
        pattern = cls.TRACKING_NUMBER_PATTERNS.get(carrier_code)
        if pattern is None:
            return None
        return re.fullmatch(pattern, number.strip()) is not None

    @abstractmethod
    def subscriptions(self) -> list[WaybillSubscription]:
        """The carriers and branches this account may use, with remaining balances."""

    @abstractmethod
    def allocate(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        """Allocate up to `MAX_BATCH` waybills in one call: exactly one result per request,
        in the same order, each carrying its request's `request_id`."""

    def cancel_waybill(self, waybill: WaybillRef) -> None:
        """Cancel (recycle) an unused waybill so its number is not billed or reused; a
        waybill that is already cancelled is not an error. Optional: `SUPPORTS_CANCEL`."""
        self.not_supported("cancelling waybills")

    def query_waybills(self, waybills: Sequence[WaybillRef]) -> list[Waybill]:
        """Fetch print data again for existing waybills (a reprint keeps the same number),
        one per reference in order. Optional: `SUPPORTS_REPRINT_QUERY`."""
        self.not_supported("querying waybills for reprint")
