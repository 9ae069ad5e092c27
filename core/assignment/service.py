"""The org's assignment rules: list, add, change, enable, disable, move and remove them.

Changing rules needs `settings.manage` and is audited with the rule before and after;
listing needs `order.view`. Positions are kept 1…n without gaps: adding at a position or
moving a rule shifts the others. Shops are named in conditions as operators know them and
stored by id (a renamed shop keeps its rules); carrier accounts likewise. A rule names a
carrier account, a template, or both. Applying rules to orders is core.assignment.assigning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.assignment.rules import Conditions
from core.errors import Conflict, NotFound, ValidationError
from core.models import AssignmentRule, CarrierAccount, Shop, Template
from core.templates import builtin_templates

MAX_RULES = 200
UNCHANGED: Any = object()


@dataclass(frozen=True)
class RuleInfo:
    id: int
    name: str
    position: int
    enabled: bool
    carrier_account: str
    template: str
    conditions: dict[str, Any]  # shops by name, as operators give them

    @property
    def is_default(self) -> bool:
        return not self.conditions


def list_rules(app: App, actor: Actor) -> list[RuleInfo]:
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        return [_info(session, r) for r in _rows(session, actor.org_id)]


def add_rule(
    app: App,
    actor: Actor,
    name: str,
    conditions: Mapping[str, Any] | None = None,
    *,
    carrier_account: str | None = None,
    template: str = "",
    position: int | None = None,
    enabled: bool = True,
) -> RuleInfo:
    """A new rule (conditions keyed as in core.assignment.rules, `shops` by name)."""
    name = _name(name)
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        rows = _rows(session, actor.org_id)
        if any(r.name == name for r in rows):
            raise Conflict(f"an assignment rule named {name!r} exists already", field="name")
        if len(rows) >= MAX_RULES:
            raise ValidationError(f"at most {MAX_RULES} assignment rules", field="name")
        row = AssignmentRule(
            org_id=actor.org_id,
            name=name,
            conditions=_conditions(session, actor.org_id, conditions).to_json(),
            carrier_account_id=checked_account_id(session, actor.org_id, carrier_account),
            template=checked_template(session, actor.org_id, template),
            enabled=bool(enabled),
            created_by=actor.user_id,
        )
        _needs_a_choice(row)
        rows.insert(_index(position, len(rows) + 1), row)
        session.add(row)
        _renumber(rows)
        session.flush()
        info = _info(session, row)
        audit.record(
            session,
            "assignment_rule.add",
            actor=actor,
            target_type="assignment_rule",
            target_id=row.id,
            after=_audit_view(info),
        )
        return info


def update_rule(
    app: App,
    actor: Actor,
    name: str,
    *,
    conditions: Mapping[str, Any] | None = UNCHANGED,
    carrier_account: str | None = UNCHANGED,
    template: str = UNCHANGED,
    enabled: bool = UNCHANGED,
    new_name: str = UNCHANGED,
) -> RuleInfo:
    """Change what is given; the rest stays."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        rows = _rows(session, actor.org_id)
        row = _find(rows, name)
        before = _info(session, row)
        if conditions is not UNCHANGED:
            row.conditions = _conditions(session, actor.org_id, conditions).to_json()
        if carrier_account is not UNCHANGED:
            row.carrier_account_id = checked_account_id(session, actor.org_id, carrier_account)
        if template is not UNCHANGED:
            row.template = checked_template(session, actor.org_id, template or "")
        if enabled is not UNCHANGED:
            row.enabled = bool(enabled)
        if new_name is not UNCHANGED:
            renamed = _name(new_name)
            if renamed != row.name and any(r.name == renamed for r in rows):
                raise Conflict(f"an assignment rule named {renamed!r} exists already")
            row.name = renamed
        _needs_a_choice(row)
        session.flush()
        info = _info(session, row)
        audit.record(
            session,
            "assignment_rule.update",
            actor=actor,
            target_type="assignment_rule",
            target_id=row.id,
            before=_audit_view(before),
            after=_audit_view(info),
        )
        return info


def move_rule(app: App, actor: Actor, name: str, position: int) -> list[RuleInfo]:
    """Put the rule at `position` (1 = first); the others shift."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        rows = _rows(session, actor.org_id)
        row = _find(rows, name)
        before = row.position
        rows.remove(row)
        rows.insert(_index(position, len(rows) + 1), row)
        _renumber(rows)
        session.flush()
        audit.record(
            session,
            "assignment_rule.move",
            actor=actor,
            target_type="assignment_rule",
            target_id=row.id,
            before={"name": row.name, "position": before},
            after={"name": row.name, "position": row.position},
        )
        return [_info(session, r) for r in rows]


def remove_rule(app: App, actor: Actor, name: str) -> None:
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        rows = _rows(session, actor.org_id)
        row = _find(rows, name)
        before = _info(session, row)
        rows.remove(row)
        session.delete(row)
        _renumber(rows)
        audit.record(
            session,
            "assignment_rule.remove",
            actor=actor,
            target_type="assignment_rule",
            target_id=before.id,
            before=_audit_view(before),
        )


# ---------------------------------------------------------------- helpers


def _rows(session: Session, org_id: int) -> list[AssignmentRule]:
    return list(
        session.scalars(
            select(AssignmentRule)
            .where(AssignmentRule.org_id == org_id)
            .order_by(AssignmentRule.position, AssignmentRule.name)
        )
    )


def _find(rows: list[AssignmentRule], name: str) -> AssignmentRule:
    wanted = (name or "").strip()
    for row in rows:
        if row.name == wanted:
            return row
    raise NotFound(f"no assignment rule named {wanted[:64]!r}")


def _name(name: str) -> str:
    text = (name or "").strip()
    if not text or len(text) > 64 or any(ord(c) < 32 for c in text):
        raise ValidationError("a rule name is 1 to 64 characters", field="name")
    return text


def _index(position: int | None, size: int) -> int:
    if position is None:
        return size - 1
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= size:
        raise ValidationError(f"position must be 1 to {size}", field="position")
    return position - 1


def _renumber(rows: list[AssignmentRule]) -> None:
    for number, row in enumerate(rows, start=1):
        row.position = number


def _needs_a_choice(row: AssignmentRule) -> None:
    if row.carrier_account_id is None and not row.template:
        raise ValidationError(
            f"rule {row.name!r} chooses nothing: give a carrier account, a template or both",
            field="carrier_account",
        )


def _conditions(session: Session, org_id: int, given: Mapping[str, Any] | None) -> Conditions:
    """Conditions with shops named (`shops`) turned into ids of the org's shops."""
    data = dict(given or {})
    shops = data.pop("shops", None)
    if shops is not None:
        names = [s.strip() for s in shops if isinstance(s, str) and s.strip()]
        if len(names) != len(list(shops)):
            raise ValidationError("shops must be shop names", field="conditions.shops")
        found = dict(
            session.execute(
                select(Shop.name, Shop.id).where(Shop.org_id == org_id, Shop.name.in_(names))
            ).all()
        )
        missing = [n for n in names if n not in found]
        if missing:
            raise NotFound(f"no shop named {missing[0]!r}", field="conditions.shops")
        data["shop_ids"] = [found[n] for n in names]
    return Conditions.of(data)


def checked_account_id(session: Session, org_id: int, name: str | None) -> int | None:
    if name is None or not str(name).strip():
        return None
    row = session.scalars(
        select(CarrierAccount).where(
            CarrierAccount.org_id == org_id, CarrierAccount.name == str(name).strip()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no carrier account named {str(name).strip()[:64]!r}")
    if not row.enabled:
        raise ValidationError(f"carrier account {row.name!r} is disabled", field="carrier_account")
    return row.id


def checked_template(session: Session, org_id: int, name: str) -> str:
    """A template name the org can print with ('' for none)."""
    text = (name or "").strip()
    if not text:
        return ""
    if text in builtin_templates():
        return text
    found = session.scalars(
        select(Template.id).where(
            Template.name == text,
            (Template.org_id == org_id) | Template.org_id.is_(None),
            Template.archived_at.is_(None),
        )
    ).first()
    if found is None:
        raise NotFound(f"no template named {text[:64]!r}", field="template")
    return text


def _info(session: Session, row: AssignmentRule) -> RuleInfo:
    conditions = dict(row.conditions or {})
    ids = conditions.pop("shop_ids", None)
    if ids:
        names = dict(session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids))).all())
        conditions["shops"] = [names.get(i, f"shop {i}") for i in ids]
    account = (
        session.get(CarrierAccount, row.carrier_account_id) if row.carrier_account_id else None
    )
    return RuleInfo(
        row.id,
        row.name,
        row.position,
        row.enabled,
        account.name if account else "",
        row.template,
        conditions,
    )


def _audit_view(info: RuleInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "position": info.position,
        "enabled": info.enabled,
        "carrier_account": info.carrier_account,
        "template": info.template,
        "conditions": info.conditions,
    }
