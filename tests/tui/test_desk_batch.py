"""The desk's other batch actions on fixed orders: reject with a reason, tag and untag,
hold and release, merge — each through its dialog, each the core service's outcome."""

from __future__ import annotations

from textual.pilot import Pilot

from core.desk import show
from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.test_desk import desk, expected


async def act(pilot: Pilot[None], *keys: str) -> str:
    await pilot.press(*keys)
    await settle(pilot)
    return pilot.app.notices[-1].message


def test_reject_asks_for_the_reason(app, make_tui, acme: OrgFixture, desk_world) -> None:
    audited = expected(app, acme.admin, "status:audited")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await settle(pilot)
        assert await act(pilot, "x", *"地址不全", "enter") == "已驳回 1 单"

    drive(make_tui(acme.admin), scenario)
    detail = show.show_order(app, acme.admin, audited[0])
    assert detail.row.hub_status == "pending" and detail.reject_reason == "地址不全"


def test_tag_and_untag(app, make_tui, acme: OrgFixture, desk_world) -> None:
    pending = expected(app, acme.admin, "status:pending")

    async def scenario(pilot: Pilot[None]) -> None:
        assert await act(pilot, "space", "space", "t", *"VIP", "enter") == "2 单已加标签 VIP"
        assert expected(app, acme.admin, "tag:VIP") == pending[:2]
        assert desk(pilot).table.window.rows[0].tags == ("VIP",)
        # The cursor stayed on the third order; back to the second, untag it alone.
        assert await act(pilot, "up", "t", "minus", *"VIP", "enter") == "1 单已去掉标签 VIP"

    drive(make_tui(acme.admin), scenario)
    assert expected(app, acme.admin, "tag:VIP") == pending[:1]


def test_hold_with_a_reason_then_release(app, make_tui, acme: OrgFixture, desk_world) -> None:
    first = expected(app, acme.admin, "status:pending")[0]

    async def scenario(pilot: Pilot[None]) -> None:
        assert await act(pilot, "h", *"等买家回复", "enter") == "已挂起 1 单"
        await pilot.press("4")
        await settle(pilot)
        screen = desk(pilot)
        row = next(r for r in screen.table.window.rows if r.order_no == first)
        screen.table.move_cursor(row=screen.table.window.rows.index(row))
        await settle(pilot)
        assert "挂起原因：等买家回复" in str(screen.query_one("#status").render())
        assert await act(pilot, "u") == "已释放 1 单"

    drive(make_tui(acme.admin), scenario)
    assert not show.show_order(app, acme.admin, first).row.on_hold


def test_a_merge_the_core_refuses_says_why(app, make_tui, acme: OrgFixture, desk_world) -> None:
    """The fixed orders keep no receiver fingerprint, so the core cannot tell they go to
    one person: the refusal reaches the operator and no package changes."""
    pending = expected(app, acme.admin, "status:pending shop:旗舰店")
    before = show.show_order(app, acme.admin, pending[0]).packages

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("slash", *"shop:旗舰店", "enter")
        await settle(pilot)
        await act(pilot, "space", "space", "m", "enter")
        notice = pilot.app.notices[-1]
        assert notice.severity == "error"
        assert notice.message == (
            f"cannot merge: order {pending[0]} has no receiver to compare; "
            f"order {pending[1]} has no receiver to compare"
        )
        assert desk(pilot).selection.count == 2  # kept, to try again

    drive(make_tui(acme.admin), scenario)
    assert show.show_order(app, acme.admin, pending[0]).packages == before


def test_orders_the_core_refuses_are_counted_and_the_first_named(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    shipped = expected(app, acme.admin, "status:shipped")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("6")
        await settle(pilot)
        message = await act(pilot, "space", "space", "a")
        first, second = message.splitlines()
        assert first == "已审核 0 单"
        assert second.startswith(f"2 单未处理：{shipped[0]}: ")

    drive(make_tui(acme.admin), scenario)
    assert expected(app, acme.admin, "status:shipped") == shipped
