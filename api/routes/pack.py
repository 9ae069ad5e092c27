"""`/v1/pack/scans`: the pack station (扫描验货) over HTTP, one scan per request.

The TUI and `orderhub pack` keep the half-scanned package in memory; an HTTP client keeps
it instead: each answer carries `station` (the waybill on the station and the counts
scanned so far), and the client sends it back with the next scan. Core puts the package
back on a fresh station with those counts (re-checking it: a package put on hold since
the last scan is answered loudly, and the scan is not counted), then scans the code —
`core.shipping.pack_station.scan_once`. So any API process can answer any scan, and the
last item's scan verifies the package in core's transaction, as at the TUI.

The answer is what the station shows: `kind` (package, item, verified, hold, refused,
wrong_item, excess, unknown), the message, the package and its orders, every expected
item with its count, `loud` for what the operator must not miss.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.paths import NO_NUL
from core.shipping import pack_station
from core.shipping.pack_station import StationScan, StationState

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=pack_station.MAX_CODE, pattern=NO_NUL)]


class Station(msgspec.Struct, forbid_unknown_fields=True):
    """The station as the previous answer gave it."""

    waybill: Code
    scanned: Annotated[
        dict[Code, Annotated[int, msgspec.Meta(ge=0, le=100_000)]], msgspec.Meta(max_length=500)
    ] = {}


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Code  # a waybill (tracking) number or an item's barcode, as scanned
    station: Station | None = None  # the previous answer's `station`


def _scan(call: Call) -> StationScan:
    body: ScanRequest = call.body
    assert call.actor is not None
    state = StationState(body.station.waybill, dict(body.station.scanned)) if body.station else None
    return pack_station.scan_once(call.app, call.actor, body.code, state)


OPERATIONS = (
    Operation(
        "POST",
        "/v1/pack/scans",
        "Scan a waybill or an item at the pack station; the last item verifies the package",
        _scan,
        StationScan,
        request=ScanRequest,
        permission="ship.confirm",
        tags=("pack",),
    ),
)
