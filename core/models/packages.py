"""Packages, their lines, carrier accounts and waybills (电子面单).

A package is what gets one waybill and one label. Orders and packages are many-to-many
through package lines: by default one package holds one order; merging puts several
orders in one package, splitting spreads one order over several.

Invariant 3 lives in the schema: `uq_waybills_active_package` is a partial unique index
on `waybills.package_id` over the active statuses, so the database itself refuses a second
active waybill for a package, whatever code path (or process) tries. `cancelling` counts
as active: a waybill being cancelled at the carrier still occupies its package until the
carrier has confirmed, and is never printed meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.models.base import Base, EncryptedJSON

#: new → waybill_allocated → printed → verified → shipped → synced, or on_hold / cancelled.
PACKAGE_STATUSES = (
    "new",
    "waybill_allocated",
    "printed",
    "verified",
    "shipped",
    "synced",
    "on_hold",
    "cancelled",
)
#: allocated → printed; cancelling is the moment between asking the carrier to cancel and
#: its answer; cancelled = voided at the carrier; recycled = released in orderhub only
#: (carriers without a cancel API, e.g. numbers typed by hand, which may be typed again).
WAYBILL_STATUSES = ("allocated", "printed", "cancelling", "cancelled", "recycled")
ACTIVE_WAYBILL_STATUSES = ("allocated", "printed", "cancelling")
PRINTABLE_WAYBILL_STATUSES = ("allocated", "printed")

_ACTIVE_SQL = "status IN ('allocated', 'printed', 'cancelling')"


def _in(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Package(Base):
    """The unit that gets one waybill and one label.

    `allocation_claim`/`allocation_claim_until` are a short lease taken while a waybill is
    being requested from the carrier for this package (see `core.waybills.store`), so two
    operators allocating the same batch do not both call the carrier.
    """

    __tablename__ = "packages"
    __table_args__ = (
        Index("ix_packages_org_status", "org_id", "status"),
        # The shipping-cost report (core.reports.carriers): parcels first printed in a day
        # with their carrier, weight and destination, read from the index alone.
        Index(
            "ix_packages_org_printed",
            "org_id",
            "printed_at",
            "carrier_account_id",
            "weight_g",
            "receiver_province",
            "shop_id",
        ),
        CheckConstraint(_in(PACKAGE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    # The shop of the package's orders (PDD waybills are drawn on that shop's account).
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), default=None)
    # Warehouse by name until the stock issue adds a Warehouse table.
    warehouse: Mapped[str] = mapped_column(String(100), default="")
    carrier_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("carrier_accounts.id"), default=None
    )
    weight_g: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="new")
    hold_reason: Mapped[str] = mapped_column(String(255), default="")
    # When its first label was printed, and the province that label was addressed to (its
    # first order's): set by core.printing.states as the package becomes `printed`, for
    # the shipping-cost report, which prices a parcel where it was sent.
    printed_at: Mapped[datetime | None] = mapped_column(default=None)
    receiver_province: Mapped[str] = mapped_column(String(50), default="")
    allocation_claim: Mapped[str | None] = mapped_column(String(64), default=None)
    allocation_claim_until: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    lines: Mapped[list[PackageLine]] = relationship(
        cascade="all, delete-orphan", order_by="PackageLine.id", lazy="selectin"
    )


class PackageLine(Base):
    """`quantity` of one order line in one package.

    The order line is named by (order_id, line_no), not by `order_lines.id`: the order
    store replaces an order's line rows when the platform sends a newer copy, so line ids
    are not stable while the line numbers are.
    """

    __tablename__ = "package_lines"
    __table_args__ = (
        UniqueConstraint("package_id", "order_id", "line_no"),
        Index("ix_package_lines_order_id", "order_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    quantity: Mapped[int]


class CarrierAccount(Base):
    """Where waybills come from: a carrier plugin, the carrier code (`wp_code`), a branch
    (网点), the sender printed on labels and, for platform waybill services, the shop whose
    subscription is used.

    Sender name/phone/address are the merchant's own warehouse contact, printed on every
    label and shown to every operator, so they are kept in clear (buyer data never is).
    `credentials` (direct carrier APIs) are encrypted. `logistics_company_id` is the
    platform's id of this carrier, which ship-back (`confirm_shipment`) needs.
    """

    __tablename__ = "carrier_accounts"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str] = mapped_column(String(40))  # plugin name, e.g. pinduoduo-waybill
    platform: Mapped[str] = mapped_column(String(32), default="")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), default=None)
    wp_code: Mapped[str] = mapped_column(String(32))
    logistics_company_id: Mapped[str] = mapped_column(String(32), default="")
    logistics_company_name: Mapped[str] = mapped_column(String(64), default="")
    branch_code: Mapped[str] = mapped_column(String(64), default="")
    branch_name: Mapped[str] = mapped_column(String(100), default="")
    sender_name: Mapped[str] = mapped_column(String(64), default="")
    sender_phone: Mapped[str] = mapped_column(String(32), default="")
    sender_province: Mapped[str] = mapped_column(String(50), default="")
    sender_city: Mapped[str] = mapped_column(String(50), default="")
    sender_district: Mapped[str] = mapped_column(String(50), default="")
    sender_town: Mapped[str] = mapped_column(String(50), default="")
    sender_address: Mapped[str] = mapped_column(String(255), default="")
    # The carrier's or platform's standard template (PDD: a standard_template_url).
    template_url: Mapped[str] = mapped_column(String(500), default="")
    # Our own template for labels we render (a Template name, e.g. label-76x130).
    default_template: Mapped[str] = mapped_column(String(64), default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    credentials: Mapped[dict | None] = mapped_column(EncryptedJSON(), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Waybill(Base):
    """A tracking number drawn for a package, with the print data the carrier returned.

    `print_data` is kept exactly as returned (PDD: a JSON string of platform-encrypted
    data for the print component); it is encrypted at rest like every carrier payload
    that may hold buyer data. `routing` is the sort code and hub the carrier gave in
    clear, printed in the sort area of the labels orderhub renders. `request_id` is what
    the carrier saw as the caller's id (PDD `object_id`), so a repeated request is
    recognised. `number_warning` records a number that does not look like the carrier's
    (stored anyway: never rejected).
    """

    __tablename__ = "waybills"
    __table_args__ = (
        Index(
            "uq_waybills_active_package",
            "package_id",
            unique=True,
            sqlite_where=sql_text(_ACTIVE_SQL),
            postgresql_where=sql_text(_ACTIVE_SQL),
        ),
        Index(
            "uq_waybills_active_number",
            "org_id",
            "carrier_code",
            "number",
            unique=True,
            sqlite_where=sql_text(_ACTIVE_SQL),
            postgresql_where=sql_text(_ACTIVE_SQL),
        ),
        Index("ix_waybills_org_number", "org_id", "number"),
        Index("ix_waybills_package_id", "package_id"),
        # Carrier share (core.reports.carriers), read from the index alone.
        Index(
            "ix_waybills_org_allocated", "org_id", "allocated_at", "status", "carrier_account_id"
        ),
        CheckConstraint(_in(WAYBILL_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    carrier_account_id: Mapped[int] = mapped_column(ForeignKey("carrier_accounts.id"))
    carrier: Mapped[str] = mapped_column(String(40))  # plugin name at allocation time
    carrier_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    parent_number: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="allocated")
    print_data: Mapped[object | None] = mapped_column(EncryptedJSON(), default=None)
    #: `SortCode.to_dict()` of the carrier's routing (三段码, 集包地); no buyer data.
    routing: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    number_warning: Mapped[str] = mapped_column(String(255), default="")
    allocated_at: Mapped[datetime] = mapped_column(default=clock.now)
    allocated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    printed_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
