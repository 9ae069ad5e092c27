"""Facts about this installation's database rather than about any org."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class Installation(Base):
    """One row (id 1). `request_epoch` prefixes the ids orderhub sends carriers with a
    waybill request (PDD `object_id`): carriers hand back the number they issued before
    for an id they have seen, so ids must never repeat for a different package — yet
    package ids start again at 1 in a new installation and repeat after a restore of an
    older backup. A fresh database draws a random epoch; a restore draws a new one."""

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    request_epoch: Mapped[str] = mapped_column(String(16))
    epoch_started_at: Mapped[datetime] = mapped_column(default=clock.now)
