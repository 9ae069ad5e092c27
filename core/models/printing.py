"""Printers, templates with immutable versions, and print jobs with ordered items.

Print jobs are resumable: items are numbered by `position` (unique per job) and carry
their own state, so after a printer failure or a crash the job continues from the first
unfinished item (`ix_print_job_items_job_state`). An item left in `sending` by a crash
becomes `uncertain`: the operator decides between reprinting it and skipping it.

Invariant 4 in the schema: `uq_print_job_items_first_print` allows one non-reprint label
item per waybill that is not failed or cancelled — a second first print of the same
waybill is refused by the database; a reprint must say so (`reprint`, `reprint_reason`).
Only label items carry `waybill_id`; packing slips and pick lists refer to the package.

Template versions are immutable (the migration installs a trigger refusing UPDATE), so a
reprint renders with the version the label was first printed with.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base

TEMPLATE_KINDS = ("label", "packing_slip", "pick_list", "product_label")
JOB_STATUSES = ("queued", "running", "paused", "done", "failed", "cancelled")
#: queued → sending → done | failed | uncertain; cancelled when the job is cancelled first.
ITEM_STATES = ("queued", "sending", "done", "failed", "uncertain", "cancelled")

_FIRST_PRINT_SQL = "waybill_id IS NOT NULL AND NOT reprint AND state NOT IN ('failed', 'cancelled')"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Printer(Base):
    """A configured printer: which driver reaches it and how, its media, resolution, the
    document language it speaks, and the offset correction found by calibration."""

    __tablename__ = "printers"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        CheckConstraint("dpi > 0", name="dpi_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    driver: Mapped[str] = mapped_column(String(40))  # printer driver plugin name
    # Driver settings: host/port, USB ids, queue name, folder … (no secrets expected).
    connection: Mapped[dict] = mapped_column(JSON, default=dict)
    media_width_mm: Mapped[float] = mapped_column(default=76.0)
    media_height_mm: Mapped[float] = mapped_column(default=130.0)
    dpi: Mapped[int] = mapped_column(default=203)  # 203 or 300 for thermal printers
    language: Mapped[str] = mapped_column(String(16), default="tspl")
    offset_x_mm: Mapped[float] = mapped_column(default=0.0)  # positive: right
    offset_y_mm: Mapped[float] = mapped_column(default=0.0)  # positive: down
    # A printer-resident CJK font (TSPL "TSS24.BF2"); empty: Chinese goes as a raster.
    cjk_font: Mapped[str] = mapped_column(String(64), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Template(Base):
    """A named layout of one kind. `org_id` NULL marks a built-in template (shared by all
    orgs, loaded from `core/templates/builtin`); `current_version` is what new jobs use."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        Index(
            "uq_templates_builtin_name",
            "name",
            unique=True,
            sqlite_where=sql_text("org_id IS NULL"),
            postgresql_where=sql_text("org_id IS NULL"),
        ),
        CheckConstraint(_in("kind", TEMPLATE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), default=None)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    width_mm: Mapped[float]
    height_mm: Mapped[float]
    current_version: Mapped[int] = mapped_column(default=1)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class TemplateVersion(Base):
    """One immutable version of a template: size and element list as they were, and a
    checksum of the canonical JSON (so saving an unchanged template adds no version)."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"))
    version: Mapped[int]
    width_mm: Mapped[float]
    height_mm: Mapped[float]
    elements: Mapped[list] = mapped_column(JSON, default=list)
    checksum: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PrintJob(Base):
    """A print batch. `printer_id`/`template_version_id` are the job's defaults; each item
    has its own (a batch may fan out over several printers). The lease lets one worker
    among several run the job (claimed with SKIP LOCKED on PostgreSQL)."""

    __tablename__ = "print_jobs"
    __table_args__ = (
        Index("ix_print_jobs_org_created", "org_id", "created_at"),
        Index("ix_print_jobs_status_lease", "status", "lease_expires_at"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint(_in("kind", TEMPLATE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), default=None)
    template_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_versions.id"), default=None
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    total_items: Mapped[int] = mapped_column(default=0)
    done_items: Mapped[int] = mapped_column(default=0)
    failed_items: Mapped[int] = mapped_column(default=0)
    uncertain_items: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class PrintJobItem(Base):
    """One document of a job, in `position` order, with its own printer, template version
    and state. `language` is the document language it was rendered in; `device_ref` the
    driver's id for it (a print-component task id …) to settle `uncertain` items."""

    __tablename__ = "print_job_items"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_print_job_items_job_state", "job_id", "state", "position"),
        Index("ix_print_job_items_waybill_id", "waybill_id"),
        Index("ix_print_job_items_package_id", "package_id"),
        Index("ix_print_job_items_order_id", "order_id"),
        # Print history by time; the reports (prints per user, first labels for handling
        # times and shipping cost) read the columns after done_at from the index alone.
        Index(
            "ix_print_job_items_org_done",
            "org_id",
            "done_at",
            "kind",
            "reprint",
            "state",
            "job_id",
            "order_id",
            "package_id",
        ),
        Index(
            "uq_print_job_items_first_print",
            "waybill_id",
            unique=True,
            sqlite_where=sql_text(_FIRST_PRINT_SQL),
            postgresql_where=sql_text(_FIRST_PRINT_SQL),
        ),
        CheckConstraint(_in("state", ITEM_STATES), name="state"),
        CheckConstraint(_in("kind", TEMPLATE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("print_jobs.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"), default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    waybill_id: Mapped[int | None] = mapped_column(ForeignKey("waybills.id"), default=None)
    #: A product label's goods line: `order_id` and this line number, in the package.
    line_no: Mapped[int | None] = mapped_column(default=None)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), default=None)
    template_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_versions.id"), default=None
    )
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    reprint: Mapped[bool] = mapped_column(default=False)
    reprint_reason: Mapped[str] = mapped_column(Text, default="")
    reprint_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("print_job_items.id"), default=None
    )
    last_error: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    device_ref: Mapped[str] = mapped_column(String(100), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
