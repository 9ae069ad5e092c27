"""Shipping rate cards (运费模板): what a carrier account charges per parcel, by province.

One row per carrier account and destination province: 首重 (`first_weight_g` for
`first_fen`) and 续重 (each further `step_weight_g` or part of it for `step_fen`), the way
Chinese express branches quote. The row with an empty province is the account's price for
every province without its own row. Money is integer fen; the cards are read by the
shipping-cost report (core.reports) and set with `finance.view` (core.reports.rates).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class CarrierRate(Base):
    __tablename__ = "carrier_rates"
    __table_args__ = (
        UniqueConstraint("org_id", "carrier_account_id", "province"),
        CheckConstraint("first_weight_g > 0 AND step_weight_g > 0", name="weights_positive"),
        CheckConstraint("first_fen >= 0 AND step_fen >= 0", name="prices_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    carrier_account_id: Mapped[int] = mapped_column(ForeignKey("carrier_accounts.id"))
    province: Mapped[str] = mapped_column(String(50), default="")  # "": every other province
    first_weight_g: Mapped[int] = mapped_column(default=1000)
    first_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    step_weight_g: Mapped[int] = mapped_column(default=1000)
    step_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
