"""Which shops a sync covers: every active shop with sync switched on, or the one named.

The installation's operator (`orderhub sync`) names a shop by id or by name, optionally
within one org; with no name every active, sync-enabled shop of the installation (or of
that org) is covered. A name must be unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.app import App
from core.errors import NotFound, ValidationError
from core.models import Org, Shop


@dataclass(frozen=True)
class ShopRef:
    id: int
    org_id: int
    name: str


def shops_to_sync(app: App, wanted: str | None, org_name: str | None = None) -> list[ShopRef]:
    """The shops to sync: `wanted` (an id or a name) or, when None, every active shop with
    sync switched on; `org_name` limits both to one org."""
    with app.tx() as session:
        query = select(Shop.id, Shop.org_id, Shop.name, Shop.status, Shop.sync_enabled)
        if org_name:
            org_id = session.scalar(select(Org.id).where(Org.name == org_name))
            if org_id is None:
                raise NotFound(f"no org named {org_name!r}")
            query = query.where(Shop.org_id == org_id)
        rows = session.execute(query.order_by(Shop.id)).all()
    if wanted is None:
        chosen = [r for r in rows if r.status == "active" and r.sync_enabled]
        if not chosen:
            raise NotFound(
                "no active shop with sync switched on: bind one with `orderhub shop bind`"
            )
        return [ShopRef(r.id, r.org_id, r.name) for r in chosen]
    text = wanted.strip()
    matches = [r for r in rows if (text.isdigit() and r.id == int(text)) or r.name == text]
    if not matches:
        raise NotFound(f"no shop with id or name {text!r} (see `orderhub shop list`)")
    if len(matches) > 1:
        ids = ", ".join(str(r.id) for r in matches)
        raise ValidationError(f"several shops are named {text!r} (ids {ids}); use the id")
    return [ShopRef(matches[0].id, matches[0].org_id, matches[0].name)]
