"""The org's audit rule set (审单规则): every switch and parameter, validated, versioned.

One row of `audit_rule_sets` per org holds the settings as JSON; an org without a row, or
a key the row lacks (a rule added by an upgrade), gets the defaults below. Every value is
checked before it is stored, and an error names the key, the value and what is allowed.
Changing the rule set needs `settings.manage` and writes an `audit_rules.update` event with
the values before and after; the version goes up by one each time. Reading it needs
`order.view`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import AuditRuleSet

FLAG_COLOURS = ("red", "yellow", "green", "blue", "purple")
MAX_WAIT_MINUTES = 7 * 24 * 60
MAX_FEN = 10**14
MAX_QUANTITY = 1_000_000
_TRUE = ("on", "true", "yes", "1")
_FALSE = ("off", "false", "no", "0")


@dataclass(frozen=True)
class RuleSettings:
    """审单 switches and parameters; a rule that is off never names an order."""

    #: Approve an order that passes every rule (else every order waits for a person).
    auto_approve: bool = True
    #: Minutes after payment before an order is approved automatically (buyers change
    #: their address in the first minutes).
    wait_minutes: int = 0
    #: An after-sale or refund under way stops the order (`refund_in_progress`).
    refund_in_progress: bool = True
    #: Seller flag colours that stop an order (`flag_<colour>`); the local flag counts
    #: when set, else the platform's.
    stop_flags: tuple[str, ...] = ("red",)
    #: A buyer memo (买家留言) stops the order for a person to read.
    buyer_memo: bool = True
    #: A seller remark (the platform's or our own) stops the order.
    seller_remark: bool = False
    #: Province/city/district recognised, street detail present and not repeating them.
    address: bool = True
    #: The phone is a mainland mobile (1 and 11 digits) or a landline with area code.
    phone: bool = True
    #: The paid amount must lie in [amount_min_fen, amount_max_fen] (None: no bound).
    amount_min_fen: int | None = None
    amount_max_fen: int | None = None
    #: The order's total quantity must lie in [quantity_min, quantity_max].
    quantity_min: int | None = None
    quantity_max: int | None = None
    #: The same platform order number in another shop of the org, or a manual/imported
    #: copy of a synced order.
    duplicate_order: bool = True
    #: Another unshipped order of the same shop goes to the same receiver (合单 first).
    mergeable: bool = True
    #: A line maps to no merchant SKU (core.stock.mapping); only for an org that keeps a
    #: catalogue (at least one SKU), so a shop without stock keeping is never stopped.
    unmapped_sku: bool = True
    #: Merge such orders into one package as they arrive (one waybill, one label), where
    #: none of them is printed, held or has a waybill; the others stay `mergeable`.
    auto_merge: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop_flags"] = list(self.stop_flags)
        return data


DEFAULTS = RuleSettings()
KEYS = tuple(f.name for f in fields(RuleSettings))
_BOOLS = {k for k in KEYS if isinstance(getattr(DEFAULTS, k), bool)}
_BOUNDS = {
    "wait_minutes": (0, MAX_WAIT_MINUTES),
    "amount_min_fen": (0, MAX_FEN),
    "amount_max_fen": (0, MAX_FEN),
    "quantity_min": (1, MAX_QUANTITY),
    "quantity_max": (1, MAX_QUANTITY),
}
_OPTIONAL = {"amount_min_fen", "amount_max_fen", "quantity_min", "quantity_max"}


def validate(values: Mapping[str, Any], base: RuleSettings = DEFAULTS) -> RuleSettings:
    """`base` with `values` applied, every value checked (`ValidationError` with the key
    as `field`)."""
    checked: dict[str, Any] = {}
    for key, value in values.items():
        checked[key] = _checked(key, value)
    merged = replace(base, **checked)
    for low, high in (("amount_min_fen", "amount_max_fen"), ("quantity_min", "quantity_max")):
        a, b = getattr(merged, low), getattr(merged, high)
        if a is not None and b is not None and a > b:
            raise ValidationError(f"{low} ({a}) is above {high} ({b})", field=low)
    return merged


def parse_assignments(words: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` words (the CLI's `audit-rules set`) as typed values: on/off for
    switches, whole numbers, `none` for no bound, colours separated by commas."""
    out: dict[str, Any] = {}
    for word in words:
        key, sep, text = word.partition("=")
        key = key.strip()
        if not sep:
            raise ValidationError(f"{word[:60]!r}: write KEY=VALUE", field="settings")
        _known(key)
        text = text.strip()
        if key in _BOOLS:
            if text.lower() not in _TRUE + _FALSE:
                raise ValidationError(
                    f"{key}={text[:40]!r}: write on or off", field=key, allowed="on, off"
                )
            out[key] = text.lower() in _TRUE
        elif key == "stop_flags":
            out[key] = [c.strip() for c in text.split(",") if c.strip()]
        elif key in _OPTIONAL and text.lower() in ("none", ""):
            out[key] = None
        else:
            if not (text.isascii() and text.isdigit()) or len(text) > 15:
                raise ValidationError(f"{key}={text[:40]!r}: write a whole number", field=key)
            out[key] = int(text)
    return out


def load(session: Session, org_id: int) -> tuple[RuleSettings, int]:
    """The org's rule set and its version (defaults and version 0 when none is stored).
    Stored values that no longer pass the checks fall back to their defaults."""
    row = session.get(AuditRuleSet, org_id)
    if row is None:
        return DEFAULTS, 0
    good: dict[str, Any] = {}
    for key, value in (row.settings or {}).items():
        try:
            good[key] = _checked(key, value)
        except ValidationError:
            continue
    try:
        return validate(good), row.version
    except ValidationError:
        return DEFAULTS, row.version


@dataclass(frozen=True)
class RuleSetView:
    settings: dict[str, Any]
    version: int


def show(app: App, actor: Actor) -> RuleSetView:
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        current, version = load(session, actor.org_id)
        return RuleSetView(current.as_dict(), version)


def update(app: App, actor: Actor, changes: Mapping[str, Any]) -> RuleSetView:
    """Apply `changes` (key → value) to the org's rule set; audited, version bumped."""
    if not changes:
        raise ValidationError("no setting given: name at least one KEY=VALUE", field="settings")
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        before, version = load(session, actor.org_id)
        after = validate(changes, before)
        row = session.get(AuditRuleSet, actor.org_id)
        if row is None:
            row = AuditRuleSet(org_id=actor.org_id, settings={}, version=0)
            session.add(row)
        row.settings = after.as_dict()
        row.version = version + 1
        row.updated_by = actor.user_id
        changed = sorted(k for k in KEYS if getattr(before, k) != getattr(after, k))
        audit.record(
            session,
            "audit_rules.update",
            actor=actor,
            target_type="audit_rule_set",
            target_id=actor.org_id,
            before={k: before.as_dict()[k] for k in changed},
            after={k: after.as_dict()[k] for k in changed},
            detail=f"version {row.version}: {', '.join(changed) or 'no change'}",
        )
        return RuleSetView(after.as_dict(), row.version)


def _known(key: str) -> None:
    if key not in KEYS:
        raise ValidationError(
            f"unknown audit rule setting {key[:40]!r}; known: {', '.join(KEYS)}", field=key
        )


def _checked(key: str, value: Any) -> Any:
    _known(key)
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise ValidationError(f"{key} must be on or off, not {value!r}", field=key)
        return value
    if key == "stop_flags":
        if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
            raise ValidationError(f"stop_flags must be a list of colours, not {value!r}", field=key)
        wrong = [c for c in value if c not in FLAG_COLOURS]
        if wrong:
            raise ValidationError(
                f"stop_flags: {wrong[0][:20]!r} is not a flag colour; allowed: "
                f"{', '.join(FLAG_COLOURS)}",
                field=key,
            )
        return tuple(dict.fromkeys(value))
    if value is None and key in _OPTIONAL:
        return None
    low, high = _BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{key} must be a whole number from {low} to {high}, not {value!r}", field=key
        )
    return value
