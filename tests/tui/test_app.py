"""The app around the screens: the command palette offers every action of the screen and
of the app and runs it; the footer speaks the UI's language; `orderhub tui` takes its
options; signing out ends the session."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from cli.main import build_parser, main
from core.accounts import auth
from core.errors import AuthenticationFailed
from tests.conftest import ADMIN_PASSWORD, OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.test_login import sign_in
from tui.actions import ActionsProvider
from tui.screens.desk import DeskScreen
from tui.screens.login import LoginScreen


async def palette_labels(pilot: Pilot[None]) -> list[str]:
    provider = ActionsProvider(pilot.app.screen)
    return [str(hit.display) async for hit in provider.discover()]


def test_the_palette_offers_every_action_of_the_desk(
    make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        labels = await palette_labels(pilot)
        for label in (
            "审核  (a)",
            "打印  (p)",
            "发货  (s)",
            "合单  (m)",
            "筛选  (/)",
            "全选  (^a)",
        ):
            assert label in labels
        assert "详情" in labels and "末条" in labels  # palette-only actions
        assert labels[-1] == "退出  (^q)"  # the app's own come last
        assert "退出登录" not in labels  # `--as`: no session to end

    drive(make_tui(acme.admin), scenario)


def test_the_palette_runs_what_is_chosen(make_tui, acme: OrgFixture, desk_world) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        first = pilot.app.screen.table.current.order_no
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)
        assert pilot.app.screen.query_one(Input).placeholder == "搜索命令…"
        await pilot.press(*"审核", "enter")
        await settle(pilot)
        assert pilot.app.notices[-1].message == "已审核 1 单"
        assert first not in [r.order_no for r in pilot.app.screen.table.window.rows]

    drive(make_tui(acme.admin), scenario)


@pytest.mark.parametrize(("lang", "shown"), [("zh", "审核"), ("en", "Approve")])
def test_the_footer_speaks_the_language(
    make_tui, acme: OrgFixture, desk_world, lang: str, shown: str
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        descriptions = {b.binding.description for b in pilot.app.screen.active_bindings.values()}
        assert shown in descriptions
        assert "batch.approve" not in descriptions

    drive(make_tui(acme.admin, lang=lang), scenario)


def test_signing_out_revokes_the_session(app, make_tui, acme: OrgFixture, tui_clock) -> None:
    tokens: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        assert isinstance(pilot.app.screen, DeskScreen)
        tokens.append(pilot.app.session.token)
        assert "退出登录" in await palette_labels(pilot)
        await pilot.app.run_action("logout")
        await settle(pilot)
        assert isinstance(pilot.app.screen, LoginScreen) and pilot.app.session is None

    drive(make_tui(None), scenario)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, tokens[0])


def test_orderhub_tui_takes_language_user_and_org() -> None:
    args = build_parser().parse_args(["tui", "--lang", "en", "--as", "clerk", "--org", "acme"])
    assert (args.lang, args.as_user, args.org) == ("en", "clerk", "acme")
    assert build_parser().parse_args(["tui"]).lang is None  # the user's choice, else zh
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tui", "--lang", "fr"])


def test_orderhub_tui_without_a_terminal_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tui"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "orderhub: error: the terminal UI needs a terminal on stdin and stdout "
        "(over SSH: ssh -t HOST)\n"
    )
