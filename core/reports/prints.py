"""打印统计: documents printed and printed again, per user who ran the print job.

Read from the print job items done in the period (`ix_print_job_items_org_done`, which
covers the columns read): per day, counts per job and reprint flag; the jobs' users are
looked up once at the end, so the million items are never joined row by row.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import PrintJob, PrintJobItem, User
from core.reports import common
from core.reports.model import Chart, Column, Report, build
from core.reports.period import TIME_BUCKETS, Period

GROUPINGS = ("user", "day", "week", "month")
CHUNK = 1000


def prints_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """Prints and reprints per user (or per day, week, month)."""
    by = common.check_by("prints", by, GROUPINGS)
    if shop:
        raise ValidationError(
            "report prints counts print jobs, which belong to no shop: leave out --shop",
            field="shop",
        )
    with app.tx() as session:
        money = common.reader(session, actor)
        query = (
            select(PrintJobItem.job_id, PrintJobItem.reprint, func.count())
            .where(
                PrintJobItem.org_id == actor.org_id,
                PrintJobItem.done_at >= bindparam("lo"),
                PrintJobItem.done_at < bindparam("hi"),
                PrintJobItem.state == "done",
            )
            .group_by(PrintJobItem.job_id, PrintJobItem.reprint)
        )
        per_job = common.Sums(2)
        for day, (job_id, reprint, count) in common.per_day(session, period, query):
            bucket = common.group_key(by, day, None)
            per_job.add((bucket, job_id), (0, count) if reprint else (count, 0))
        job_ids = sorted({job for _, job in per_job.by_key})
        users_of: dict[int, int | None] = {}
        for start in range(0, len(job_ids), CHUNK):
            users_of.update(
                session.execute(
                    select(PrintJob.id, PrintJob.created_by).where(
                        PrintJob.org_id == actor.org_id,
                        PrintJob.id.in_(job_ids[start : start + CHUNK]),
                    )
                ).all()
            )
        names = dict(
            session.execute(select(User.id, User.username).where(User.org_id == actor.org_id)).all()
        )
    sums = common.Sums(2)
    for (bucket, job_id), counts in per_job.by_key.items():
        if by == "user":
            user = users_of.get(job_id)  # type: ignore[call-overload]
            bucket = names.get(user, "(系统 system)") if user is not None else "(系统 system)"
        sums.add(bucket, counts)
    keys = list(period.buckets(by)) if by in TIME_BUCKETS else common.ordered_keys(by, period, sums)
    rows = []
    for key in keys:
        prints, reprints = sums.get(key)
        rows.append((str(key), prints, reprints, common.share(reprints, prints + reprints)))
    columns = (
        Column("key", {"user": "用户 user"}.get(by, "日期 " + by), "text"),
        Column("prints", "打印 prints"),
        Column("reprints", "重打 reprints"),
        Column("rate", "重打率 reprint %", "percent"),
    )
    return build(
        "prints",
        "打印统计 prints and reprints",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("stacked", "key", ("prints", "reprints")),
    )
