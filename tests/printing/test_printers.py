"""The printer registry on both backends: settings checked by building the plugins, clear
errors naming what is wrong, calibration, the test page, discovery, permissions."""

from __future__ import annotations

import re

import pytest

from core.accounts import audit
from core.errors import (
    Conflict,
    ExternalError,
    NotFound,
    NotSupported,
    PermissionDenied,
    ValidationError,
)
from core.printing.printer_tools import discover, print_test_page
from core.printing.printers import (
    add_printer,
    calibrate,
    get_printer,
    list_printers,
    update_printer,
)
from tests.printers.doubles.pdd_component import PddComponentDouble
from tests.printers.doubles.tcp_printer import LoopbackPrinter, refused_port


def network(app, actor, name="gp-1", port=9100, **kw):  # type: ignore[no-untyped-def]
    settings = {"host": "127.0.0.1", "port": port, **kw.pop("settings", {})}
    return add_printer(app, actor, name=name, driver="network", settings=settings, **kw)


def test_a_printer_is_added_with_its_language_media_and_renderer_options(app, acme) -> None:
    config = network(
        app,
        acme.admin,
        media_mm=(100, 150),
        dpi=300,
        cjk_font="TSS24.BF2",
        render={"gap_mm": 3, "density": 10},
    )
    assert (config.language, config.dpi, config.media_width_mm, config.cjk_font) == (
        "tspl",
        300,
        100.0,
        "TSS24.BF2",
    )
    again = get_printer(app, acme.admin, "gp-1")
    assert again.settings == {"host": "127.0.0.1", "port": 9100}
    assert again.render == {"gap_mm": 3, "density": 10}
    assert [p.name for p in list_printers(app, acme.admin)] == ["gp-1"]
    with app.tx() as session:
        assert [e.action for e in audit.events(session, acme.org_id)][:1] == ["printer.add"]


def test_the_default_language_is_what_the_driver_takes(app, acme, tmp_path) -> None:
    folder = add_printer(
        app, acme.admin, name="files", driver="file", settings={"folder": str(tmp_path)}
    )
    component = add_printer(app, acme.admin, name="pdd", driver="pinduoduo-component")
    assert (folder.language, component.language) == ("tspl", "pdd-print")
    assert not component.self_rendered


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"driver": "telepathy"}, ValidationError, "unknown driver 'telepathy'; known: file"),
        ({"driver": "network", "settings": {}}, ValidationError, "setting 'host' is required"),
        (
            {"driver": "network", "settings": {"host": "h", "port": "ninety"}},
            ValidationError,
            "setting 'port' must be an integer",
        ),
        (
            {"driver": "network", "settings": {"host": "h"}, "language": "png"},
            ValidationError,
            "does not take 'png'; it takes escpos, pdf, tspl, zpl",
        ),
        (
            {"driver": "network", "settings": {"host": "h"}, "render": {"gap": 3}},
            ValidationError,
            "unknown setting(s) gap",
        ),
        (
            {"driver": "network", "settings": {"host": "h"}, "render": {"density": 99}},
            ValidationError,
            "density must be between 0 and 15",
        ),
        ({"driver": "network", "settings": {"host": "h"}, "dpi": 20}, ValidationError, "dpi"),
        (
            {"driver": "network", "settings": {"host": "h"}, "media_mm": (76, 2000)},
            ValidationError,
            "media sizes must be 10 to 600 mm",
        ),
        (
            {"driver": "network", "settings": {"host": "h", "render": {}}},
            ValidationError,
            "may not use the key 'render'",
        ),
    ],
)
def test_bad_settings_are_refused_naming_what_is_wrong(app, acme, kwargs, error, words) -> None:
    with pytest.raises(error, match=re.escape(words)):
        add_printer(app, acme.admin, name="bad", **kwargs)
    assert list_printers(app, acme.admin) == []


def test_names_are_unique_per_org_and_orgs_do_not_see_each_other(app, acme, globex) -> None:
    network(app, acme.admin)
    with pytest.raises(Conflict, match="a printer named 'gp-1' exists already"):
        network(app, acme.admin)
    network(app, globex.admin)  # another org may use the name
    with pytest.raises(NotFound, match="no printer 'gp-2'; printers: gp-1"):
        get_printer(app, acme.admin, "gp-2")
    assert [p.org_id for p in list_printers(app, globex.admin)] == [globex.org_id]


def test_only_settings_managers_add_and_operators_see(app, acme) -> None:
    operator = acme.staff("printer-op", "print_operator")
    with pytest.raises(PermissionDenied, match=r"settings\.manage"):
        network(app, operator)
    network(app, acme.admin)
    assert [p.name for p in list_printers(app, operator)] == ["gp-1"]
    with pytest.raises(PermissionDenied):
        calibrate(app, operator, "gp-1", 1, 1)
    reader = acme.staff("finance-1", "finance")
    with pytest.raises(PermissionDenied, match=r"print\.run"):
        list_printers(app, reader)


def test_update_checks_the_new_settings_and_keeps_the_old_on_error(app, acme) -> None:
    network(app, acme.admin)
    with pytest.raises(ValidationError) as caught:
        update_printer(app, acme.admin, "gp-1", settings={"host": "h", "port": -1})
    assert caught.value.details["field"] == "settings"
    assert get_printer(app, acme.admin, "gp-1").settings["port"] == 9100
    updated = update_printer(app, acme.admin, "gp-1", language="zpl", enabled=False)
    assert (updated.language, updated.enabled) == ("zpl", False)
    with pytest.raises(ValidationError, match="cannot change driver"):
        update_printer(app, acme.admin, "gp-1", driver="file")


def test_calibration_is_bounded_and_audited(app, acme) -> None:
    network(app, acme.admin)
    config = calibrate(app, acme.admin, "gp-1", 1.25, -0.5)
    assert (config.offset_x_mm, config.offset_y_mm) == (1.25, -0.5)
    with pytest.raises(ValidationError, match="dx 25 mm is more than ±20 mm"):
        calibrate(app, acme.admin, "gp-1", 25, 0)
    with app.tx() as session:
        event = audit.events(session, acme.org_id, action="printer.calibrate")[0]
    assert event.before == {"offset_x_mm": 0.0, "offset_y_mm": 0.0}
    assert event.after == {"offset_x_mm": 1.25, "offset_y_mm": -0.5}


def test_the_test_page_reaches_the_printer_and_moves_with_the_offsets(app, acme) -> None:
    with LoopbackPrinter() as listener:
        network(app, acme.admin, port=listener.port)
        size = print_test_page(app, acme.admin, "gp-1")
        assert listener.wait_until(lambda: listener.total() == size)
        first = listener.received
        calibrate(app, acme.admin, "gp-1", 2, 0)
        print_test_page(app, acme.admin, "gp-1")
        assert listener.wait_until(lambda: listener.total() == 2 * size)
    second = listener.received[size:]
    assert first.startswith(b"SIZE 76 mm,130 mm\r\n") and first.endswith(b"PRINT 1,1\r\n")
    assert first != second  # the same page, shifted 2 mm right


def test_the_test_page_of_an_unreachable_printer_names_it(app, acme) -> None:
    port = refused_port()
    network(app, acme.admin, port=port, settings={"connect_timeout": 1})
    with pytest.raises(ExternalError, match=f"cannot connect to printer 127.0.0.1:{port}"):
        print_test_page(app, acme.admin, "gp-1")


def test_a_print_component_has_no_test_page_of_ours(app, acme) -> None:
    add_printer(app, acme.admin, name="pdd", driver="pinduoduo-component")
    with pytest.raises(NotSupported, match="print component"):
        print_test_page(app, acme.admin, "pdd")


def test_discovery_asks_each_driver_and_reports_those_that_cannot_look(app, acme) -> None:
    with PddComponentDouble() as component:
        quiet = discover(
            app,
            acme.admin,
            driver="pinduoduo-component",
            timeout=1,
            settings={"url": f"ws://127.0.0.1:{refused_port()}"},
        )
        assert [(r.driver, r.printers) for r in quiet] == [("pinduoduo-component", [])]
        assert "Pinduoduo print component" in quiet[0].error
        found = discover(
            app, acme.admin, driver="pinduoduo-component", settings={"url": component.url}
        )
    assert [p.name for p in found[0].printers] == ["GP-3120TU", "XP-T58H"]
    assert dict(found[0].printers[0].settings) == {"url": component.url, "printer": "GP-3120TU"}
    with pytest.raises(ValidationError, match="unknown driver"):
        discover(app, acme.admin, driver="nope")
