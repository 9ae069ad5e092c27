"""Rate cards (运费模板) of the carrier accounts: set, list, import from CSV/XLSX, and
price a parcel.

A rate is 首重 (first weight, first price) and 续重 (each further step or part of it, step
price) for one carrier account and destination province; the row with no province is
the account's price for every other province. Prices are money: reading them needs
`finance.view`, setting them `settings.manage` as well. Changes are audited.

The import takes one row per account and province with the columns 快递账号 (account),
省份 (province, empty: every other), 首重(克), 首重价格(元), 续重(克), 续重价格(元); the
whole file is checked before anything is stored, and a row for an account and province
that has a rate already replaces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import CarrierAccount, CarrierRate
from core.money import yuan_to_fen
from core.tabular import read_table
from core.tabular.cells import parse_count
from core.tabular.model import TableRow

MAX_ROWS = 5_000
MAX_GRAMS = 1_000_000
MAX_FEN = 10_000_000  # ¥100,000 a parcel: anything above is a typo
HEADERS = {
    "account": ("快递账号", "快递", "account", "carrier"),
    "province": ("省份", "省", "province"),
    "first_weight_g": ("首重(克)", "首重", "first_weight_g", "first weight"),
    "first_fen": ("首重价格(元)", "首重价格", "首重费", "first_price", "first price"),
    "step_weight_g": ("续重(克)", "续重", "step_weight_g", "step weight"),
    "step_fen": ("续重价格(元)", "续重价格", "续重费", "step_price", "step price"),
}


@dataclass(frozen=True)
class Rate:
    account: str
    province: str  # "": every province without its own rate
    first_weight_g: int
    first_fen: int
    step_weight_g: int
    step_fen: int

    def price(self, weight_g: int) -> int:
        """The parcel's price in fen: the first weight, then each step begun."""
        over = max(0, weight_g - self.first_weight_g)
        steps = -(-over // self.step_weight_g)
        return self.first_fen + steps * self.step_fen


def set_rate(
    app: App,
    actor: Actor,
    account: str,
    *,
    province: str = "",
    first_weight_g: int = 1000,
    first_fen: int,
    step_weight_g: int = 1000,
    step_fen: int,
) -> Rate:
    """Set (add or replace) the rate of `account` to `province` ("" for every other)."""
    values = _checked(province, first_weight_g, first_fen, step_weight_g, step_fen, "")
    with app.tx() as session:
        _require_writer(session, actor)
        account_id = _account_id(session, actor.org_id, account)
        rate = _store(session, actor, account_id, values)
        return _rate(account.strip(), rate)


def delete_rate(app: App, actor: Actor, account: str, *, province: str = "") -> None:
    with app.tx() as session:
        _require_writer(session, actor)
        account_id = _account_id(session, actor.org_id, account)
        rate = session.scalars(
            select(CarrierRate).where(
                CarrierRate.org_id == actor.org_id,
                CarrierRate.carrier_account_id == account_id,
                CarrierRate.province == province.strip(),
            )
        ).first()
        if rate is None:
            where = province.strip() or "every other province"
            raise NotFound(f"carrier account {account.strip()} has no rate for {where}")
        audit.record(
            session,
            "rate.delete",
            actor=actor,
            target_type="carrier_account",
            target_id=account_id,
            before=_audited(rate),
        )
        session.delete(rate)


def list_rates(app: App, actor: Actor) -> list[Rate]:
    with app.tx() as session:
        authz.require(session, actor, "finance.view")
        return sorted(
            (_rate(name, rate) for name, rate in rate_rows(session, actor.org_id)),
            key=lambda r: (r.account, r.province == "", r.province),
        )


def import_rates(app: App, actor: Actor, stream: BinaryIO, filename: str) -> int:
    """Store every row of the file (see the module docstring); the number of rates."""
    table = read_table(stream, filename)
    keys = [key.strip().lower() for key in table.keys]
    columns = {}
    for field, names in HEADERS.items():
        found = next((keys.index(n.lower()) for n in names if n.lower() in keys), None)
        if found is None and field != "province":
            raise ValidationError(
                f"{filename}: no {names[0]} column in the header (row {table.header_number})",
                field="file",
                row=table.header_number,
            )
        columns[field] = found
    try:
        rows = list(_read(table.rows, filename, columns))
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()
    if not rows:
        raise ValidationError(f"{filename}: no rates below the header", field="file")
    with app.tx() as session:
        _require_writer(session, actor)
        accounts = dict(
            session.execute(
                select(CarrierAccount.name, CarrierAccount.id).where(
                    CarrierAccount.org_id == actor.org_id
                )
            ).all()
        )
        seen: dict[tuple[str, str], int] = {}
        for number, account, values in rows:
            if account not in accounts:
                raise NotFound(
                    f"{filename} row {number}: no carrier account {account!r}",
                    field="account",
                    row=number,
                )
            key = (account, str(values["province"]))
            if key in seen:
                raise ValidationError(
                    f"{filename} row {number}: {account} / {key[1] or '(every province)'} "
                    f"is on row {seen[key]} already",
                    field="province",
                    row=number,
                )
            seen[key] = number
            _store(session, actor, accounts[account], values, record=False)
        audit.record(
            session,
            "rate.import",
            actor=actor,
            target_type="org",
            target_id=actor.org_id,
            after={"file": filename, "rates": len(rows)},
        )
    return len(rows)


def rate_rows(session: Session, org_id: int) -> list[tuple[str, CarrierRate]]:
    """Every rate of the org with its account's name (for the shipping-cost report)."""
    rows = session.execute(
        select(CarrierAccount.name, CarrierRate)
        .join(CarrierAccount, CarrierAccount.id == CarrierRate.carrier_account_id)
        .where(CarrierRate.org_id == org_id)
    )
    return [(name, rate) for name, rate in rows]


def as_rate(account: str, row: CarrierRate) -> Rate:
    return _rate(account, row)


def _require_writer(session: Session, actor: Actor) -> None:
    authz.require(session, actor, "settings.manage")
    authz.require(session, actor, "finance.view")


def _account_id(session: Session, org_id: int, account: str) -> int:
    found = session.scalars(
        select(CarrierAccount.id).where(
            CarrierAccount.org_id == org_id, CarrierAccount.name == account.strip()
        )
    ).first()
    if found is None:
        raise NotFound(f"no carrier account {account.strip()[:60]!r}", field="account")
    return found


def _checked(
    province: str, first_g: int, first_fen: int, step_g: int, step_fen: int, where: str
) -> dict[str, object]:
    prefix = f"{where}: " if where else ""
    province = (province or "").strip()
    if len(province) > 50:
        raise ValidationError(f"{prefix}a province is at most 50 characters", field="province")
    for field, value, low, high in (
        ("first_weight_g", first_g, 1, MAX_GRAMS),
        ("step_weight_g", step_g, 1, MAX_GRAMS),
        ("first_fen", first_fen, 0, MAX_FEN),
        ("step_fen", step_fen, 0, MAX_FEN),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                f"{prefix}{field} must be a whole number from {low} to {high}, not {value!r}",
                field=field,
            )
    return {
        "province": province,
        "first_weight_g": first_g,
        "first_fen": first_fen,
        "step_weight_g": step_g,
        "step_fen": step_fen,
    }


def _store(
    session: Session,
    actor: Actor,
    account_id: int,
    values: dict[str, object],
    *,
    record: bool = True,
) -> CarrierRate:
    rate = session.scalars(
        select(CarrierRate).where(
            CarrierRate.org_id == actor.org_id,
            CarrierRate.carrier_account_id == account_id,
            CarrierRate.province == values["province"],
        )
    ).first()
    before = _audited(rate) if rate is not None else None
    if rate is None:
        rate = CarrierRate(org_id=actor.org_id, carrier_account_id=account_id)
        session.add(rate)
    for key, value in values.items():
        setattr(rate, key, value)
    rate.updated_by = actor.user_id
    session.flush()
    if record:
        audit.record(
            session,
            "rate.set",
            actor=actor,
            target_type="carrier_account",
            target_id=account_id,
            before=before,
            after=_audited(rate),
        )
    return rate


def _audited(rate: CarrierRate) -> dict[str, object]:
    return {
        "province": rate.province,
        "first_weight_g": rate.first_weight_g,
        "first_fen": rate.first_fen,
        "step_weight_g": rate.step_weight_g,
        "step_fen": rate.step_fen,
    }


def _rate(account: str, rate: CarrierRate) -> Rate:
    return Rate(
        account,
        rate.province,
        rate.first_weight_g,
        rate.first_fen,
        rate.step_weight_g,
        rate.step_fen,
    )


def _read(
    rows: Iterator[TableRow], filename: str, columns: dict[str, int | None]
) -> Iterator[tuple[int, str, dict[str, object]]]:
    count = 0
    for row in rows:
        if row.blank:
            continue
        count += 1
        if count > MAX_ROWS:
            raise ValidationError(f"{filename}: more than {MAX_ROWS:,} rows", field="file")
        where = f"{filename} row {row.number}"
        if any(at in row.formulas for at in columns.values() if at is not None):
            raise ValidationError(
                f"{where}: a cell is a formula; paste it as a value", row=row.number
            )
        account = row.cell(columns["account"]).strip()
        if not account:
            raise ValidationError(f"{where}: the account is empty", field="account", row=row.number)
        try:
            first_g = parse_count(row.cell(columns["first_weight_g"]))
            step_g = parse_count(row.cell(columns["step_weight_g"]))
            first_fen = yuan_to_fen(row.cell(columns["first_fen"]).strip(), field="first_fen")
            step_fen = yuan_to_fen(row.cell(columns["step_fen"]).strip(), field="step_fen")
        except (ValueError, ValidationError) as exc:
            raise ValidationError(f"{where}: {exc}", row=row.number) from exc
        values = _checked(
            row.cell(columns["province"]), first_g, first_fen, step_g, step_fen, where
        )
        yield row.number, account, values
