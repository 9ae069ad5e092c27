"""Rate cards (core.reports.rates): set, replace, delete, import; permissions; pricing."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import NotFound, PermissionDenied, ValidationError
from core.reports import rates
from tests.conftest import OrgFixture
from tests.reports.world import World, build, sh


@pytest.fixture
def world(app, acme: OrgFixture, frozen_clock) -> World:
    frozen_clock[0] = sh(1, 10)
    return build(app, acme)


def test_set_replaces_and_delete_removes(world: World) -> None:
    app, admin = world.app, world.admin
    rates.set_rate(app, admin, "顺丰", first_fen=1200, step_weight_g=500, step_fen=250)
    rates.set_rate(app, admin, "顺丰", first_fen=1300, step_weight_g=500, step_fen=250)
    found = {(r.account, r.province): r.first_fen for r in rates.list_rates(app, admin)}
    assert found == {("圆通", ""): 300, ("圆通", "广东省"): 400, ("顺丰", ""): 1300}
    rates.delete_rate(app, admin, "圆通", province="广东省")
    assert ("圆通", "广东省") not in {(r.account, r.province) for r in rates.list_rates(app, admin)}
    with pytest.raises(NotFound, match="no carrier account '韵达'"):
        rates.set_rate(app, admin, "韵达", first_fen=1, step_fen=1)
    with pytest.raises(ValidationError, match="step_weight_g must be a whole number from 1"):
        rates.set_rate(app, admin, "顺丰", first_fen=1, step_weight_g=0, step_fen=1)


def test_rates_are_money_and_settings(world: World) -> None:
    app = world.app
    with pytest.raises(PermissionDenied, match="finance"):
        rates.list_rates(app, world.viewer)  # report.view, no finance.view
    with pytest.raises(PermissionDenied, match="settings"):
        rates.set_rate(app, world.finance, "顺丰", first_fen=1, step_fen=1)  # no settings.manage
    assert [r.account for r in rates.list_rates(app, world.rival)] == ["圆通"]  # its own only
    with pytest.raises(NotFound):  # acme's account is not the rival's to price
        rates.set_rate(app, world.rival, "顺丰", first_fen=1, step_fen=1)


def test_import_is_all_or_nothing_and_names_the_row(world: World) -> None:
    app, admin = world.app, world.admin
    sheet = (
        "快递账号,省份,首重(克),首重价格(元),续重(克),续重价格(元)\n"
        "顺丰,,1000,12,1000,2\n"
        "顺丰,西藏自治区,1000,20,500,8.5\n"
    )
    assert rates.import_rates(app, admin, io.BytesIO(sheet.encode()), "rates.csv") == 2
    bad = sheet + "顺丰,西藏自治区,1000,21,500,8.5\n"
    with pytest.raises(ValidationError, match=r"rates\.csv row 4: 顺丰 / 西藏自治区 is on row 3"):
        rates.import_rates(app, admin, io.BytesIO(bad.encode()), "rates.csv")
    formula = "快递账号,首重(克),首重价格(元),续重(克),续重价格(元)\n顺丰,1000,=1+1,1000,2\n"
    with pytest.raises(ValidationError, match="row 2"):
        rates.import_rates(app, admin, io.BytesIO(formula.encode()), "f.csv")
    found = {(r.account, r.province): r.step_fen for r in rates.list_rates(app, admin)}
    assert found[("顺丰", "西藏自治区")] == 850  # the bad files changed nothing


@given(
    first_g=st.integers(1, 5000),
    step_g=st.integers(1, 5000),
    first_fen=st.integers(0, 10_000),
    step_fen=st.integers(0, 10_000),
    weight=st.integers(0, 100_000),
)
def test_price_is_the_first_weight_and_each_step_begun(
    first_g: int, step_g: int, first_fen: int, step_fen: int, weight: int
) -> None:
    rate = rates.Rate("x", "", first_g, first_fen, step_g, step_fen)
    steps = 0
    while first_g + steps * step_g < weight:
        steps += 1
    assert rate.price(weight) == first_fen + steps * step_fen
    assert rate.price(weight + 1) >= rate.price(weight)
