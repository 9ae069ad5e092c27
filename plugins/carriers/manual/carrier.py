"""`ManualCarrier`: "allocates" the numbers the operator typed or scanned.

Core passes them in the instance settings as `typed_numbers` (request id → number); every
request without one is answered with an error naming it, never with a made-up number. A
scanned number is normalised (spaces dropped, upper case) and must look like a tracking
number at all (6–40 letters, digits or dashes); whether it looks like *this carrier's*
number is core's soft check against `TRACKING_NUMBER_PATTERNS`, a warning only.

There is no carrier to cancel at: cancelling a manual waybill recycles it in orderhub
(the number may be typed again for another package).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from core.contracts.carrier import (
    Carrier,
    Waybill,
    WaybillRequest,
    WaybillResult,
    WaybillSubscription,
)
from plugins.carriers.manual.patterns import COMMUNITY_PATTERNS

NUMBER_SHAPE = re.compile(r"[A-Z0-9-]{6,40}")


def normalise(number: str) -> str:
    """What a scanner or a person typed → the number as stored (no spaces, upper case)."""
    return re.sub(r"\s+", "", str(number)).upper()


class ManualCarrier(Carrier):
    """Numbers typed or scanned by the operator (settings: `typed_numbers`)."""

    name: ClassVar[str] = "manual"
    MAX_BATCH: ClassVar[int] = 100
    TRACKING_NUMBER_PATTERNS: ClassVar[Mapping[str, str]] = COMMUNITY_PATTERNS

    def subscriptions(self) -> list[WaybillSubscription]:
        """None: there is no account at a carrier, hence no branches or balances."""
        return []

    def allocate(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        typed = self.settings.get("typed_numbers") or {}
        results = []
        for request in requests:
            raw = typed.get(request.request_id)
            if raw is None or not str(raw).strip():
                results.append(
                    WaybillResult(
                        request.request_id,
                        error=f"no tracking number was typed or scanned for request "
                        f"{request.request_id} (orders {', '.join(request.order_numbers)})",
                    )
                )
                continue
            number = normalise(raw)
            if not NUMBER_SHAPE.fullmatch(number):
                results.append(
                    WaybillResult(
                        request.request_id,
                        error=f"{raw!r} is not a tracking number: 6-40 letters, digits or dashes",
                    )
                )
                continue
            waybill = Waybill(request.carrier_code, number, request_id=request.request_id)
            results.append(WaybillResult(request.request_id, waybill=waybill))
        return results
