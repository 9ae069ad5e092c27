"""`/v1/print-jobs`: creating print jobs (queued; `orderhub worker` prints them), their
state and progress (server-sent events), pause, resume, cancel, reprint with a reason,
and settling labels that may or may not have printed.

Creating a job honours `Idempotency-Key` (`api.idempotency`): a retried POST gets the
first answer, and only one job is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

import msgspec

from api.contract import Call, EventStream, Operation, Reply
from api.paths import path_id
from api.routes.common import Id, Name, Text
from core.printing import history, jobs, reprint, runner, watch
from core.printing.history import ItemInfo, JobDetail, JobInfo

Kind = Literal["label", "packing_slip", "pick_list", "product_label"]
Status = Literal["queued", "running", "paused", "done", "failed", "cancelled"]
OrderNo = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
MAX_ORDERS = 10_000
TAGS = ("print jobs",)
#: A paused job may not change for hours: a comment this often finds clients that left.
KEEP_ALIVE_SECONDS = 15.0


class PrintJobCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What to print (one of `orders`, `query`, `packages`), on which printers."""

    printers: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=16)]
    orders: Annotated[list[OrderNo], msgspec.Meta(max_length=MAX_ORDERS)] = []
    query: Annotated[str, msgspec.Meta(max_length=2000)] = ""  # the desk's filter language
    packages: Annotated[list[Id], msgspec.Meta(max_length=MAX_ORDERS)] = []
    kind: Kind = "label"
    template: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    carrier_account: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class Refusal(msgspec.Struct):
    what: str
    reason: str


class PrintJobCreated(msgspec.Struct):
    id: int
    kind: str
    status: str
    total: int
    printers: list[str]
    template: str
    allocated: int  # waybills drawn for it
    refused: list[Refusal]  # orders left out, and why
    warnings: list[str]


class JobQuery(msgspec.Struct, forbid_unknown_fields=True):
    status: Status | None = None
    after: Id | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class JobPage(msgspec.Struct):
    items: list[JobInfo]
    next_cursor: str | None


ItemState = Literal["queued", "sending", "done", "failed", "uncertain", "cancelled"]


class ItemQuery(msgspec.Struct, forbid_unknown_fields=True):
    state: ItemState | None = None  # e.g. uncertain: the labels to settle
    after: Id | None = None  # a page's next_cursor (a position)
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 200


class ItemPage(msgspec.Struct):
    items: list[ItemInfo]
    next_cursor: str | None


class JobState(msgspec.Struct):
    id: int
    status: str


class Reprint(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    positions: Annotated[list[Id], msgspec.Meta(max_length=MAX_ORDERS)] = []  # default: all
    printers: Annotated[list[Name], msgspec.Meta(max_length=16)] = []  # default: the job's
    new_waybill: bool = False  # cancel each old waybill and print on a new one


class Resolve(msgspec.Struct, forbid_unknown_fields=True):
    printed: bool  # true: it did print (settled as done); false: print it again
    reason: Text = ""  # required when printed is false (a reprint, audited)


class Resolution(msgspec.Struct):
    job: int
    skipped: list[int]  # positions settled as printed
    reprinted: list[int]  # positions of the new reprint items (resume the job to print)


def _created(job: jobs.CreatedJob) -> Reply:
    body = PrintJobCreated(
        id=job.job_id,
        kind=job.kind,
        status="queued",
        total=job.total,
        printers=list(job.printers),
        template=job.template,
        allocated=job.allocated,
        refused=[Refusal(r.what, r.reason) for r in job.refused],
        warnings=list(job.warnings),
    )
    return Reply(body, status=201, headers={"Location": f"/v1/print-jobs/{job.job_id}"})


def _create_print_job(call: Call) -> Reply:
    b: PrintJobCreate = call.body
    assert call.actor is not None
    return _created(
        jobs.create_print_job(
            call.app,
            call.actor,
            b.printers,
            orders=b.orders,
            query=b.query,
            package_ids=b.packages,
            kind=b.kind,
            template=b.template,
            carrier_account=b.carrier_account,
        )
    )


def _list_print_jobs(call: Call) -> JobPage:
    q: JobQuery = call.query
    assert call.actor is not None
    found = history.list_jobs(
        call.app, call.actor, status=q.status, before_id=q.after, limit=q.limit
    )
    more = str(found[-1].id) if len(found) == q.limit else None
    return JobPage(found, more)


def _show_print_job(call: Call) -> JobDetail:
    assert call.actor is not None
    return history.job_detail(call.app, call.actor, path_id(call))


def _list_print_job_items(call: Call) -> ItemPage:
    q: ItemQuery = call.query
    assert call.actor is not None
    found = history.job_items(
        call.app,
        call.actor,
        path_id(call),
        states=(q.state,) if q.state else (),
        after=q.after or 0,
        limit=q.limit,
    )
    return ItemPage(found, str(found[-1].position) if len(found) == q.limit else None)


def _print_job_events(call: Call) -> EventStream:
    assert call.actor is not None
    details = watch.watch_job(call.app, call.actor, path_id(call), heartbeat=KEEP_ALIVE_SECONDS)

    def events() -> Iterator[tuple[str, Any] | None]:
        previous = None
        for detail in details:
            if detail is previous:  # nothing changed for a while: a keep-alive
                yield None
                continue
            previous = detail
            yield ("end" if detail.status in watch.FINAL else "progress"), detail

    return EventStream(events())


def _pause_print_job(call: Call) -> JobState:
    assert call.actor is not None
    job_id = path_id(call)
    return JobState(job_id, runner.pause_job(call.app, call.actor, job_id))


def _resume_print_job(call: Call) -> JobState:
    assert call.actor is not None
    job_id = path_id(call)
    return JobState(job_id, runner.resume_job(call.app, call.actor, job_id))


def _cancel_print_job(call: Call) -> JobState:
    assert call.actor is not None
    job_id = path_id(call)
    return JobState(job_id, runner.cancel_job(call.app, call.actor, job_id))


def _reprint_print_job(call: Call) -> Reply:
    b: Reprint = call.body
    assert call.actor is not None
    return _created(
        jobs.reprint_job(
            call.app,
            call.actor,
            path_id(call),
            b.reason,
            positions=b.positions,
            printers=b.printers,
            new_waybill=b.new_waybill,
        )
    )


def _resolve_print_job_item(call: Call) -> Resolution:
    b: Resolve = call.body
    assert call.actor is not None
    job_id = path_id(call)
    position = path_id(call, "position")
    done = reprint.resolve_uncertain(
        call.app, call.actor, job_id, "skip" if b.printed else "reprint", [position], b.reason
    )
    return Resolution(job_id, done.skipped, done.reprinted)


def _action(verb: str, handler, summary: str) -> Operation:  # type: ignore[no-untyped-def]
    return Operation(
        "POST",
        f"/v1/print-jobs/{{id}}/{verb}",
        summary,
        handler,
        JobState,
        permission="print.run",
        errors=(404, 409),
        tags=TAGS,
    )


OPERATIONS = (
    Operation(
        "POST",
        "/v1/print-jobs",
        "Queue a print job (labels draw missing waybills first); a worker prints it",
        _create_print_job,
        PrintJobCreated,
        request=PrintJobCreate,
        permission="print.run",
        status=201,
        errors=(404, 409, 502),
        idempotent=True,
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/print-jobs",
        "The org's print jobs, newest first (keyset pagination)",
        _list_print_jobs,
        JobPage,
        query=JobQuery,
        permission="order.view or print.run",
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/print-jobs/{id}",
        "A print job's state and how many items are in each state",
        _show_print_job,
        JobDetail,
        permission="order.view or print.run",
        errors=(404,),
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/print-jobs/{id}/items",
        "A job's items by position: state, orders, waybill, printer, attempts, error",
        _list_print_job_items,
        ItemPage,
        query=ItemQuery,
        permission="order.view or print.run",
        errors=(404,),
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/print-jobs/{id}/events",
        "Progress as server-sent events: `progress` on each change, `end` when it ended",
        _print_job_events,
        JobDetail,
        permission="order.view or print.run",
        errors=(404,),
        stream=True,
        tags=TAGS,
    ),
    _action("pause", _pause_print_job, "Pause a job after the label being sent"),
    _action("resume", _resume_print_job, "Queue a paused or failed job again"),
    _action("cancel", _cancel_print_job, "Cancel a job: its unsent items will not print"),
    Operation(
        "POST",
        "/v1/print-jobs/{id}/reprint",
        "Reprint a job's printed labels (all, or at positions) as a new job; audited",
        _reprint_print_job,
        PrintJobCreated,
        request=Reprint,
        permission="print.run and print.reprint",
        status=201,
        errors=(404, 409, 502),
        idempotent=True,
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/print-jobs/{id}/items/{position}/resolve",
        "Settle an uncertain label: it printed, or print it again (with a reason)",
        _resolve_print_job_item,
        Resolution,
        request=Resolve,
        permission="print.run (print.reprint to print again)",
        errors=(404, 409),
        tags=TAGS,
    ),
)
