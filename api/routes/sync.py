"""`/v1/sync`: the sync log (a keyset page of the org's sync runs, newest first) and the
passes running now. Manual sync is `POST /v1/shops/{shop_id}/sync` (`api.routes.shops`)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation
from api.paths import MAX_ID
from core.sync import log
from core.sync.log import RunningPass, SyncRunPage


class RunQuery(msgspec.Struct, forbid_unknown_fields=True):
    shop_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | None = None
    status: Literal["running", "ok", "failed"] | None = None
    after: Annotated[str, msgspec.Meta(max_length=40)] | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=log.MAX_RUNS)] = 50


class RunningList(msgspec.Struct):
    items: list[RunningPass]
    next_cursor: str | None = None


def _list_runs(call: Call) -> SyncRunPage:
    q: RunQuery = call.query
    assert call.actor is not None
    return log.runs_page(
        call.app, call.actor, shop_id=q.shop_id, status=q.status, after=q.after, limit=q.limit
    )


def _running(call: Call) -> RunningList:
    assert call.actor is not None
    return RunningList(log.running_passes(call.app, call.actor))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/sync/runs",
        "The sync log: windows stored and failures, newest first (keyset pagination)",
        _list_runs,
        SyncRunPage,
        query=RunQuery,
        permission="order.view or shop.bind",
        errors=(404,),
        tags=("sync",),
    ),
    Operation(
        "GET",
        "/v1/sync/running",
        "The org's shops a worker is syncing right now (lease held)",
        _running,
        RunningList,
        permission="order.view or shop.bind",
        tags=("sync",),
    ),
)
