"""Invariant 5 under random sequences (hypothesis state machine): receipts, counts,
transfers, reservations, releases and deductions in any order keep every level at zero or
above and equal to the sum of its ledger moves; an impossible operation raises a clear
error and changes nothing — neither a level nor the ledger."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.accounts.users import create_org_with_admin
from core.actor import Actor
from core.app import App
from core.models import Sku, StockMove, Warehouse
from core.stock import catalogue, levels, operations, warehouses
from core.stock.ledger import InsufficientStock, Move, post
from core.stock.operations import Line
from tests.conftest import ADMIN_PASSWORD

HOUSES = ("A", "B")
CODES = ("X", "Y")
QTY = st.integers(min_value=1, max_value=8)
_orgs = itertools.count()


def machine(app: App) -> type[RuleBasedStateMachine]:
    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            n = next(_orgs)
            org, user = create_org_with_admin(app, f"stock{n}", f"boss{n}", ADMIN_PASSWORD)
            self.actor = Actor(org_id=org.id, user_id=user.id, label=user.username)
            for house in HOUSES:
                warehouses.add_warehouse(app, self.actor, house)
            for code in CODES:
                catalogue.add_sku(app, self.actor, code)
            with app.tx() as session:
                self.house_ids = dict(
                    session.execute(
                        select(Warehouse.name, Warehouse.id).where(Warehouse.org_id == org.id)
                    ).all()
                )
                self.sku_ids = dict(
                    session.execute(select(Sku.code, Sku.id).where(Sku.org_id == org.id)).all()
                )
            self.model = {(h, c): [0, 0] for h in HOUSES for c in CODES}

        # ---------------------------------------------------------------- helpers

        def attempt(self, possible: bool, change) -> None:  # type: ignore[no-untyped-def]
            before = self.snapshot()
            if possible:
                change()
                return
            with pytest.raises(InsufficientStock) as refused:
                change()
            assert "not enough stock of SKU" in str(refused.value)
            assert self.snapshot() == before

        def snapshot(self) -> tuple[object, int]:
            with app.tx() as session:
                moves = session.scalar(
                    select(func.count(StockMove.id)).where(StockMove.org_id == self.actor.org_id)
                )
            return sorted(self.levels().items()), moves

        def levels(self) -> dict[tuple[str, str], tuple[int, int]]:
            return {
                (lv.warehouse, lv.code): (lv.on_hand, lv.reserved)
                for lv in levels.list_levels(app, self.actor)
            }

        def order_move(self, house: str, code: str, on_hand: int, reserved: int, reason: str):  # type: ignore[no-untyped-def]
            move = Move(
                self.house_ids[house], self.sku_ids[code], on_hand, reserved, reason, "ORDER-1"
            )

            def run() -> None:
                with app.tx() as session:
                    post(session, self.actor.org_id, "test", [move])

            return run

        # ---------------------------------------------------------------- rules

        @rule(house=st.sampled_from(HOUSES), code=st.sampled_from(CODES), qty=QTY)
        def receipt(self, house: str, code: str, qty: int) -> None:
            operations.receive(app, self.actor, [Line(code, qty)], warehouse=house)
            self.model[(house, code)][0] += qty

        @rule(house=st.sampled_from(HOUSES), code=st.sampled_from(CODES), qty=st.integers(0, 12))
        def count(self, house: str, code: str, qty: int) -> None:
            operations.count(app, self.actor, [Line(code, qty)], warehouse=house)
            self.model[(house, code)][0] = qty

        @rule(code=st.sampled_from(CODES), qty=QTY, forward=st.booleans())
        def transfer(self, code: str, qty: int, forward: bool) -> None:
            source, destination = HOUSES if forward else HOUSES[::-1]
            on_hand, reserved = self.model[(source, code)]
            lines = [Line(code, qty)]

            def change() -> None:
                operations.transfer(app, self.actor, lines, source=source, destination=destination)
                self.model[(source, code)][0] -= qty
                self.model[(destination, code)][0] += qty

            self.attempt(qty <= on_hand - reserved, change)

        @rule(house=st.sampled_from(HOUSES), code=st.sampled_from(CODES), qty=QTY)
        def reserve(self, house: str, code: str, qty: int) -> None:
            on_hand, reserved = self.model[(house, code)]
            run = self.order_move(house, code, 0, qty, "reserve")

            def change() -> None:
                run()
                self.model[(house, code)][1] += qty

            self.attempt(qty <= on_hand - reserved, change)

        @rule(house=st.sampled_from(HOUSES), code=st.sampled_from(CODES), qty=QTY)
        def release(self, house: str, code: str, qty: int) -> None:
            run = self.order_move(house, code, 0, -qty, "release")

            def change() -> None:
                run()
                self.model[(house, code)][1] -= qty

            self.attempt(qty <= self.model[(house, code)][1], change)

        @rule(house=st.sampled_from(HOUSES), code=st.sampled_from(CODES), qty=QTY)
        def deduct(self, house: str, code: str, qty: int) -> None:
            on_hand, reserved = self.model[(house, code)]
            run = self.order_move(house, code, -qty, -qty, "deduct")

            def change() -> None:
                run()
                self.model[(house, code)][0] -= qty
                self.model[(house, code)][1] -= qty

            self.attempt(qty <= reserved and qty <= on_hand, change)

        # ---------------------------------------------------------------- invariants

        @invariant()
        def levels_are_the_model_never_negative_and_the_ledger_sum(self) -> None:
            stored = self.levels()
            for key, (on_hand, reserved) in self.model.items():
                assert stored.get(key, (0, 0)) == (on_hand, reserved), key
                assert on_hand >= 0 and reserved >= 0
            assert levels.verify(app, self.actor) == []

    return Ledger


def test_invariant_5_holds_under_random_operations(app: App) -> None:
    run_state_machine_as_test(
        machine(app),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
