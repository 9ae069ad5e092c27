"""From what an operator names — an order number or a package id — to the package.

An order number names its one live (not cancelled) package. An order split over several
packages is refused with their ids ("name the package"), as is a number two shops of
the org share. Another org's order or package is simply not found. Orders are found
through the shops of the org, so the look-up uses the `(shop_id, platform_order_no)`
unique index even with a million orders.

A scanned identifier is an order number, `P<id>` for a package id, or bare digits that
are no order number of the org (then a package id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.models import Order, Package, PackageLine, Shop

MAX_ORDER_NUMBER = 64
MAX_PACKAGE_ID = 2**31 - 1
_PACKAGE_TAG = re.compile(r"[Pp]#?(\d{1,10})")


@dataclass(frozen=True)
class Target:
    """What a row or a scan names: an order number, or a package id (exactly one)."""

    order_number: str = ""
    package_id: int | None = None

    def label(self) -> str:
        return f"order {self.order_number}" if self.order_number else f"package {self.package_id}"


@dataclass(frozen=True)
class Found:
    """The package named, or — for an order with no package yet — only the order's id."""

    package: Package | None
    order_id: int | None = None


def target(order_number: str | None = None, package_id: int | str | None = None) -> Target:
    """Exactly one of the two, checked."""
    number = (order_number or "").strip()
    has_package = package_id is not None and str(package_id).strip() != ""
    if bool(number) == has_package:
        raise ValidationError("name either an order number or a package id", field="target")
    if number:
        if len(number) > MAX_ORDER_NUMBER or not number.isprintable():
            raise ValidationError(f"{number[:40]!r} is not an order number", field="order")
        return Target(order_number=number)
    return Target(package_id=package_ref(str(package_id)))


def package_ref(text: str) -> int:
    """A package id as written: digits, optionally `P123` / `P#123`."""
    word = text.strip()
    tagged = _PACKAGE_TAG.fullmatch(word)
    digits = tagged.group(1) if tagged else word
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= MAX_PACKAGE_ID:
        raise ValidationError(f"{word[:40]!r} is not a package id", field="package")
    return int(digits)


def scanned(session: Session, org_id: int, text: str) -> Target:
    """What a scanned identifier names (see the module docstring)."""
    word = text.strip()
    if _PACKAGE_TAG.fullmatch(word):
        return Target(package_id=package_ref(word))
    if _order_ids(session, org_id, word) or not (word.isascii() and word.isdigit()):
        return target(order_number=word)
    return Target(package_id=package_ref(word))


def resolve(session: Session, org_id: int, named: Target, *, lock: bool = False) -> Found:
    """The package `named` points at (NotFound / ValidationError saying why not)."""
    if named.package_id is not None:
        stmt = select(Package).where(Package.id == named.package_id, Package.org_id == org_id)
        if lock:
            stmt = stmt.with_for_update()
        package = session.scalars(stmt).one_or_none()
        if package is None:
            raise NotFound(f"no package with id {named.package_id}")
        return Found(package)
    ids = _order_ids(session, org_id, named.order_number)
    if not ids:
        raise NotFound(f"no order numbered {named.order_number}")
    if len(ids) > 1:
        raise ValidationError(
            f"order number {named.order_number} exists in several shops; name its package",
            field="order",
        )
    stmt = (
        select(Package)
        .join(PackageLine, PackageLine.package_id == Package.id)
        .where(PackageLine.order_id == ids[0], Package.status != "cancelled")
        .distinct()
        .order_by(Package.id)
    )
    packages = list(session.scalars(stmt))
    if not packages:
        return Found(None, ids[0])
    if len(packages) > 1:
        shown = ", ".join(str(p.id) for p in packages)
        raise ValidationError(
            f"order {named.order_number} is split over packages {shown}: name the package "
            "(its id) instead of the order",
            field="order",
        )
    if lock:
        session.execute(select(Package.id).where(Package.id == packages[0].id).with_for_update())
    return Found(packages[0])


def _order_ids(session: Session, org_id: int, number: str) -> list[int]:
    if not number or len(number) > MAX_ORDER_NUMBER:
        return []
    shops = select(Shop.id).where(Shop.org_id == org_id).scalar_subquery()
    return list(
        session.scalars(
            select(Order.id).where(Order.shop_id.in_(shops), Order.platform_order_no == number)
        )
    )
