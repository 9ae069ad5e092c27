"""The settings screen's main paths with Textual's pilot, on SQLite: a `file` printer added
and its test page written, a template element moved with the preview following and saved
as a new version, a user added with a role, an audit rule switched, the calibration
preview, and an action refused for want of a permission."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from core.accounts import users
from core.auditing import settings as rule_settings
from core.printing import template_store
from core.printing.printers import add_printer, get_printer
from core.shipping import settings as shipping_settings
from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tui.actions import ActionsProvider
from tui.screens.calibration import CalibrationDialog
from tui.screens.dialogs import ChoiceDialog
from tui.screens.settings import SettingsScreen
from tui.screens.template_editor import TemplateEditorScreen
from tui.widgets.settings.base import SettingsTable
from tui.widgets.settings.form import FormDialog


def cells(table: SettingsTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


def fill(dialog: FormDialog, **values: str) -> None:
    for key, value in values.items():
        dialog.query_one(f"#field-{key}").value = value


async def open_section(pilot: Pilot[None], section: str) -> None:
    await pilot.app.screen.run_action(f"show_section('{section}')")
    await settle(pilot)


def footer_keys(pilot: Pilot[None]) -> set[str]:
    return set(pilot.app.screen.active_bindings)


def test_a_file_printer_is_added_and_prints_its_test_page(
    make_tui, acme: OrgFixture, tui_clock, tmp_path: Path
) -> None:
    folder = tmp_path / "labels"
    folder.mkdir()
    tui = make_tui(acme.admin, start="settings")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "printers")
        assert {"a", "d", "t", "c"} <= footer_keys(pilot) and "b" not in footer_keys(pilot)
        await pilot.press("a")
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        fill(dialog, name="仓库一号", driver="file", settings=f"folder={folder}", media="60x40")
        await pilot.click("#ok")
        await settle(pilot)
        table = pilot.app.screen.query_one("#printers-table", SettingsTable)
        assert cells(table, 0)[:5] == ["仓库一号", "file", "tspl", "203", "60×40"]
        await pilot.press("t")
        await settle(pilot)

    drive(tui, scenario)
    (page,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert page.read_bytes().startswith(b"SIZE 60")  # TSPL for 60×40 mm media
    assert tui.notices[-1].message.startswith("测试页已发送到 仓库一号")


def test_calibration_redraws_the_test_page_and_saves_the_offsets(
    make_tui, acme: OrgFixture, tui_clock, tmp_path: Path
) -> None:
    add_printer(acme.app, acme.admin, name="p1", driver="file", settings={"folder": str(tmp_path)})
    tui = make_tui(acme.admin, start="settings", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "printers")
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, CalibrationDialog)
        before = str(dialog.query_one("#calibration-preview", Static).render())
        assert "█" in before or "▀" in before
        await pilot.press("ctrl+right", "ctrl+right", "ctrl+down")
        await settle(pilot)
        after = str(dialog.query_one("#calibration-preview", Static).render())
        assert dialog.query_one("#dx").value == "1" and dialog.query_one("#dy").value == "0.5"
        assert after != before
        await pilot.click("#save")
        await settle(pilot)

    drive(tui, scenario)
    saved = get_printer(acme.app, acme.admin, "p1")
    assert (saved.offset_x_mm, saved.offset_y_mm) == (1.0, 0.5)


def test_editing_a_template_element_changes_the_preview_and_saves_a_version(
    make_tui, acme: OrgFixture, tui_clock
) -> None:
    tui = make_tui(acme.admin, start="settings")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "templates")
        table = pilot.app.screen.query_one("#templates-table", SettingsTable)
        row = next(n for n in range(table.row_count) if cells(table, n)[0] == "label-76x130")
        table.move_cursor(row=row)
        await pilot.press("e")
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, TemplateEditorScreen)
        before = str(editor.query_one("#editor-preview", Static).render())
        elements = editor.query_one("#editor-elements")
        elements.move_cursor(row=7)  # the literal "集包地"
        await settle(pilot)
        x = editor.query_one("#edit-x")
        x.value = "20"
        x.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert editor.elements[7]["x"] == 20
        assert str(editor.query_one("#editor-preview", Static).render()) != before
        await pilot.press("ctrl+s")
        await settle(pilot)

    drive(tui, scenario)
    own = {i.name: i for i in template_store.list_templates(acme.app, acme.admin)}
    assert own["label-76x130"].builtin is False and own["label-76x130"].current_version == 1
    assert '"x": 20' in template_store.export_template(acme.app, acme.admin, "label-76x130")
    assert tui.notices[-1].message == "label-76x130 已保存为第 1 版"


def test_a_user_is_added_with_a_role_and_an_audit_rule_switched(
    make_tui, acme: OrgFixture, tui_clock
) -> None:
    tui = make_tui(acme.admin, start="settings")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "users")
        await pilot.press("a")
        fill(pilot.app.screen, username="xiaoli", password="Packing-Desk-42", display="小李")
        await pilot.click("#ok")
        await settle(pilot)
        choice = pilot.app.screen
        assert isinstance(choice, ChoiceDialog)
        roles = choice.query_one("OptionList")
        names = [roles.get_option_at_index(n).id for n in range(roles.option_count)]
        roles.highlighted = names.index("打单员")
        await pilot.press("enter")
        await settle(pilot)
        table = pilot.app.screen.query_one("#users-table", SettingsTable)
        assert cells(table, 1)[1:4] == ["xiaoli", "小李", "打单员"]

        await open_section(pilot, "audit_rules")
        table = pilot.app.screen.query_one("#audit-table", SettingsTable)
        table.move_cursor(row=table.get_row_index("buyer_memo"))
        await pilot.press("t")
        await settle(pilot)
        assert str(table.get_row("buyer_memo")[1]) == "关"

    drive(tui, scenario)
    added = {u.username: u for u in users.list_users(acme.app, acme.admin)}["xiaoli"]
    assert [r.name for r in added.roles] == ["打单员"]
    view = rule_settings.show(acme.app, acme.admin)
    assert view.settings["buyer_memo"] is False and view.version == 1


def test_a_refused_action_names_the_permission_and_changes_nothing(
    make_tui, acme: OrgFixture, tui_clock
) -> None:
    clerk = acme.staff("clerk", "print_operator")
    tui = make_tui(clerk, start="settings", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "shipping")
        await pilot.press("t")
        await settle(pilot)

    drive(tui, scenario)
    refusal = tui.notices[-1]
    assert refusal.title == "Permission denied" and refusal.severity == "warning"
    assert refusal.message.splitlines()[0] == "Needs permission settings.manage (manage settings)"
    assert not shipping_settings.show_settings(acme.app, acme.admin).require_verification


def test_settings_open_from_the_palette_and_f9_and_list_the_sections_actions(
    make_tui, acme: OrgFixture, tui_clock
) -> None:
    tui = make_tui(acme.admin, start="settings", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, SettingsScreen)
        provider = ActionsProvider(screen)
        labels = [label for label, _, _ in provider._entries()]
        assert "Bind shop  (b)" in labels and "Settings  (f9)" in labels
        assert "Add printer  (a)" not in labels and "Printers" in labels
        await pilot.press("f9")  # already open: not opened twice
        await settle(pilot)
        assert len(pilot.app.screen_stack) == 2

    drive(tui, scenario)


def test_an_assignment_rule_is_added_changed_and_removed(
    app, make_tui, acme: OrgFixture, tui_clock
) -> None:
    from core.assignment import service as rules
    from tui.screens.dialogs import ConfirmDialog

    tui = make_tui(acme.admin, start="settings")

    async def submit(pilot: Pilot[None]) -> None:
        """Enter through every field: the last one's Enter saves (the form is taller than
        the screen, its button below the fold)."""
        for _ in pilot.app.screen.query("FieldInput"):
            await pilot.press("enter")
        await settle(pilot)

    async def add(pilot: Pilot[None], weight: str) -> None:
        await pilot.press("a")
        fill(
            pilot.app.screen,
            name="江浙包邮",
            template="label-76x130",
            provinces="浙江省，江苏省",
            min_weight_g=weight,
        )
        await submit(pilot)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "assignment_rules")
        assert {"a", "e", "x"} <= footer_keys(pilot)
        await add(pilot, "半斤")  # not grams: named, nothing added
        assert "最小重量（克）要填整数克" in pilot.app.notices[-1].message
        assert rules.list_rules(app, acme.admin) == []
        await add(pilot, "500")
        (rule,) = rules.list_rules(app, acme.admin)
        assert rule.template == "label-76x130"
        assert rule.conditions == {"provinces": ["浙江省", "江苏省"], "min_weight_g": 500}

        await pilot.press("e")
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        assert dialog.query_one("#field-provinces").value == "浙江省,江苏省"
        fill(dialog, provinces="广东省", min_weight_g="")
        await submit(pilot)
        (rule,) = rules.list_rules(app, acme.admin)
        assert rule.conditions == {"provinces": ["广东省"]}

        await pilot.press("x")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.click("#ok")
        await settle(pilot)
        assert rules.list_rules(app, acme.admin) == []

    drive(tui, scenario)
