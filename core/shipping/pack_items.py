"""What a package holds at the pack station, item by item, and the codes that scan them.

With a catalogue (`core.stock`), a line is the merchant SKUs it maps to
(`core.stock.mapping.components`) — a bundle opens into its parts, each × its quantity
per unit — and each SKU is scanned by its barcode, its merchant code also accepted. A
merchant packs goods, not listings: two listings of the same cup are one item to scan.

A line that maps to nothing, or every line of an org without a catalogue, is scanned by
the code its product label carries (`core.printing.documents`): `outer_id`, else
`outer_goods_id`, else the platform SKU id; the platform SKU id and the outer id are also
accepted when no other item of the package uses them.

Codes compare without spaces and case (`core.shipping.numbers.normalise`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Sku
from core.shipping.numbers import normalise
from core.stock.mapping import LineKey, components


@dataclass(frozen=True)
class Item:
    """One item to scan: `code`, what it is, how many the package holds and has had."""

    code: str
    title: str
    spec: str
    expected: int
    scanned: int = 0

    @property
    def done(self) -> bool:
        return self.scanned >= self.expected


@dataclass
class PackageItems:
    """The items by their scan code, the other codes that count them, or why the package
    cannot be scanned."""

    items: dict[str, Item]
    aliases: dict[str, str]
    problem: str = ""


def package_items(session: Session, org_id: int, lines: Sequence) -> PackageItems:  # type: ignore[type-arg]
    """The items of a package's `lines` (rows with platform, quantity, line_no,
    platform_order_no, outer_id, outer_goods_id, platform_sku_id, title, spec)."""
    keys = [LineKey(r.platform, r.platform_sku_id or "", r.outer_id or "") for r in lines]
    parts = components(session, org_id, keys)
    skus = _skus(session, org_id, {s for p in parts.values() if p for s, _ in p})
    items: dict[str, Item] = {}
    extra: dict[str, set[str]] = defaultdict(set)

    def add(code: str, title: str, spec: str, quantity: int) -> None:
        held = items.get(code)
        items[code] = Item(code, title, spec, quantity + (held.expected if held else 0))

    for row, key in zip(lines, keys, strict=True):
        mapped = parts[key]
        if mapped:
            for sku_id, per_unit in mapped:
                sku = skus[sku_id]
                primary = normalise(sku.barcode or sku.code)
                add(primary, sku.name or row.title or "", sku.code, row.quantity * per_unit)
                if normalise(sku.code) != primary:
                    extra[normalise(sku.code)].add(primary)
            continue
        primary = normalise(row.outer_id or row.outer_goods_id or row.platform_sku_id or "")
        if not primary:
            return PackageItems(
                {},
                {},
                (
                    f"订单 {row.platform_order_no} 第 {row.line_no} 行没有商品编码 / line "
                    f"{row.line_no} of order {row.platform_order_no} has no code to scan "
                    "(outer_id): verify it by hand"
                ),
            )
        add(primary, row.title or "", row.spec or "", row.quantity)
        for other in (row.platform_sku_id, row.outer_id):
            if other and normalise(other) != primary:
                extra[normalise(other)].add(primary)
    aliases = {code: code for code in items}
    for code, targets in extra.items():
        if code not in aliases and len(targets) == 1:
            aliases[code] = next(iter(targets))
    return PackageItems(items, aliases)


def _skus(session: Session, org_id: int, ids: set[int]) -> dict[int, Sku]:
    if not ids:
        return {}
    found = session.scalars(select(Sku).where(Sku.org_id == org_id, Sku.id.in_(ids)))
    return {sku.id: sku for sku in found}
