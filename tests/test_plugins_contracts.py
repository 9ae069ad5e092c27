"""The contracts themselves: boundary data is checked, optional operations say NotSupported,
capabilities describe what a class offers."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from types import MappingProxyType

import pytest

from core.contracts import (
    CONTRACTS,
    Carrier,
    Contact,
    ImportFormat,
    ImportIssue,
    ImportRow,
    Notification,
    OrderPage,
    OrderStatus,
    OrderWindow,
    PlatformOrder,
    PlatformOrderLine,
    PrinterDriver,
    PrinterState,
    PrinterStatus,
    RefundStatus,
    Renderer,
    RenderRequest,
    SalesPlatform,
    TemplateSpec,
    TokenGrant,
    WaybillRef,
    WaybillResult,
)
from core.errors import NotSupported, ValidationError

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
RECEIVER = Contact(
    "~AgAAAA~1~~", "$Ws$AgAA$1$$", "浙江省", "杭州市", "西湖区", "~AgAB~2~~", encrypted=True
)


def order(**changes: object) -> PlatformOrder:
    fields: dict[str, object] = {
        "order_number": "261127-123456789012345",
        "status": "awaiting_shipment",
        "refund_status": "none",
        "created_at": T0,
        "updated_at": T0,
        "receiver": RECEIVER,
        "lines": [PlatformOrderLine("sku-1", "保温杯", 2, 1990)],
        "goods_fen": 3980,
        "paid_fen": 3980,
    }
    fields.update(changes)
    return PlatformOrder(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- boundary data


def test_platform_order_normalises_and_freezes() -> None:
    beijing = timezone(timedelta(hours=8))
    o = order(updated_at=datetime(2026, 11, 27, 10, 0, tzinfo=beijing), raw={"order_sn": "x"})
    assert o.status is OrderStatus.AWAITING_SHIPMENT and o.refund_status is RefundStatus.NONE
    assert o.updated_at == T0 and o.updated_at.tzinfo is UTC
    assert isinstance(o.lines, tuple)
    with pytest.raises(TypeError):
        o.raw["order_sn"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"updated_at": datetime(2026, 11, 27, 2, 0)}, "updated_at must be timezone-aware"),
        ({"paid_fen": 39.8}, "paid_fen must be an integer amount in fen"),
        ({"goods_fen": -1}, "goods_fen must not be negative"),
        ({"goods_fen": True}, "goods_fen must be an integer"),
        ({"paid_fen": 10**14 + 1}, "paid_fen must be at most 100000000000000 fen"),
        ({"goods_fen": 10**20}, "goods_fen must be at most"),  # past what BIGINT holds
        ({"status": "paid"}, "status must be one of awaiting_shipment"),
        ({"order_number": " "}, "order_number must be a non-empty string"),
    ],
)
def test_platform_order_refuses_wrong_units(changes: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        order(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"refund_status": "gone"}, "refund_status must be one of none"),
        ({"created_at": "2026-11-27"}, "created_at must be a datetime"),
        ({"paid_at": datetime(2026, 11, 27, 2, 0)}, "paid_at must be timezone-aware"),
        ({"ship_by": 1790000000}, "ship_by must be a datetime"),
        ({"discount_fen": -5}, "discount_fen must not be negative"),
        ({"postage_fen": 5.0}, "postage_fen must be an integer amount"),
        # Several wrong: the first in field order is named, as before the fast check.
        ({"status": "paid", "goods_fen": -1}, "status must be one of"),
        ({"updated_at": datetime(2026, 1, 1), "paid_fen": 1.5}, "updated_at must be timezone"),
    ],
)
def test_every_field_is_still_checked_after_the_well_formed_test(
    changes: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        order(**changes)


def test_well_formed_order_keeps_its_values_and_still_copies_raw() -> None:
    raw = {"order_sn": "x", "item_list": [1]}
    lines = (PlatformOrderLine("sku-1", "保温杯", 2, 1990),)
    o = order(lines=lines, tags=("vip",), paid_at=T0, raw=raw)
    assert o.created_at is T0 and o.paid_at is T0 and o.lines is lines
    assert o.status is OrderStatus.AWAITING_SHIPMENT  # from the text value, as before
    raw["order_sn"] = "changed"
    assert o.raw == {"order_sn": "x", "item_list": [1]} and isinstance(o.raw, MappingProxyType)
    listed = order(lines=list(lines), tags=["vip"], status=OrderStatus.SHIPPED)
    assert listed.lines == lines and isinstance(listed.tags, tuple)


def test_platform_order_pickles_with_raw_and_raw_personal() -> None:
    o = order(raw={"order_sn": "x", "item_list": [{"sku_id": "1"}]}, raw_personal=False)
    back = pickle.loads(pickle.dumps(o))
    assert back == o and back.lines == o.lines and back.receiver == o.receiver
    assert back.raw == o.raw and isinstance(back.raw, MappingProxyType)
    assert back.raw_personal is False and back.created_at.tzinfo is UTC


def test_order_line_quantity_and_price() -> None:
    with pytest.raises(ValidationError, match="quantity must be positive"):
        PlatformOrderLine("sku", "t", 0, 100)
    with pytest.raises(ValidationError, match="unit_price_fen"):
        PlatformOrderLine("sku", "t", 1, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="quantity must be an int, not True"):
        PlatformOrderLine("sku", "t", True, 100)
    with pytest.raises(ValidationError, match="unit_price_fen must not be negative"):
        PlatformOrderLine("sku", "t", 1, -1)
    with pytest.raises(ValidationError, match="unit_price_fen must be at most"):
        PlatformOrderLine("sku", "t", 1, 2**63)
    assert PlatformOrderLine("sku", "t", 1, 10**14).unit_price_fen == 10**14


def test_order_window_checks_and_splits_exactly() -> None:
    window = OrderWindow(T0, T0 + timedelta(minutes=70))
    parts = window.split(SalesPlatform.MAX_WINDOW)
    assert [p.duration for p in parts] == [timedelta(minutes=30)] * 2 + [timedelta(minutes=10)]
    assert parts[0].start == window.start and parts[-1].end == window.end
    assert all(a.end == b.start for a, b in pairwise(parts))
    with pytest.raises(ValidationError, match="before it starts"):
        OrderWindow(T0, T0)
    with pytest.raises(ValidationError, match="timezone-aware"):
        OrderWindow(datetime(2026, 1, 1), T0)
    with pytest.raises(ValidationError, match="pages are numbered from 1"):
        OrderPage((), page=0, has_next=False)


def test_token_grant_hides_tokens() -> None:
    grant = TokenGrant("secret-access", "secret-refresh", T0, shop_id="9001", shop_name="小美")
    assert "secret" not in repr(grant) and "9001" in repr(grant)


def test_waybill_result_is_a_waybill_or_an_error() -> None:
    assert WaybillResult("pkg-1", error="地址不可达").error
    with pytest.raises(ValidationError, match="exactly one"):
        WaybillResult("pkg-1")


def test_notification_kind_fits_an_alert_kind_and_body_stays_out_of_repr() -> None:
    note = Notification("a@example.com", "code", "your code is 123456", kind="password_reset")
    assert "123456" not in repr(note)
    with pytest.raises(ValidationError, match="notification kind"):
        Notification("a@example.com", "s", "b", kind="Has Space")
    with pytest.raises(ValidationError, match="recipient"):
        Notification("", "s", "b")


def test_import_rows_say_why_they_have_no_order() -> None:
    issue = ImportIssue(row=3, message="手机 is empty", column="手机")
    assert not ImportRow(3, None, (issue,)).ok
    assert ImportRow(2, order(), (ImportIssue(2, "memo cut", severity="warning"),)).ok
    with pytest.raises(ValidationError, match="no order and no error"):
        ImportRow(4, None, ())
    with pytest.raises(ValidationError, match="severity"):
        ImportIssue(1, "m", severity="fatal")


def test_render_request_and_template_checks() -> None:
    spec = TemplateSpec("76x130", "label", 76, 130, elements=[{"type": "text", "field": "name"}])
    assert RenderRequest(spec, {"name": "x"}, "tspl").dpi == 203
    with pytest.raises(ValidationError, match="size must be positive"):
        TemplateSpec("bad", "label", 0, 130)
    with pytest.raises(ValidationError, match="copies"):
        RenderRequest(spec, {}, "tspl", copies=0)


def test_printer_status_readiness() -> None:
    assert PrinterStatus("busy").ready
    assert not PrinterStatus(PrinterState.PAPER_OUT, "缺纸").ready
    with pytest.raises(ValidationError, match="state must be one of"):
        PrinterStatus("jammed")  # type: ignore[arg-type]


# ---------------------------------------------------------------- optional operations


class MinimalDriver(PrinterDriver):
    name = "minimal"
    LANGUAGES = frozenset({"tspl"})
    closed = 0

    def open(self, timeout: float | None = None) -> None:
        pass

    def write(self, data: bytes, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        type(self).closed += 1


class MinimalCarrier(Carrier):
    name = "minimal"
    TRACKING_NUMBER_PATTERNS = MappingProxyType({"YTO": r"YT\d{13}"})

    def subscriptions(self):
        return []

    def allocate(self, requests):
        return []


def test_optional_operations_raise_not_supported_naming_plugin_and_operation() -> None:
    with pytest.raises(NotSupported, match="printer_driver plugin 'minimal' does not support"):
        MinimalDriver().status()
    with pytest.raises(NotSupported, match="printer discovery"):
        MinimalDriver().discover()
    with pytest.raises(NotSupported, match="cancelling waybills") as caught:
        MinimalCarrier().cancel_waybill(WaybillRef("YTO", "YT1234567890123"))
    assert caught.value.details == {"plugin": "minimal", "operation": "cancelling waybills"}


def test_capabilities_and_declarations() -> None:
    assert MinimalDriver.capabilities() == {
        "discovery": False,
        "status": False,
        "languages": ["tspl"],
    }
    assert MinimalDriver.accepts("tspl") and not MinimalDriver.accepts("zpl")
    assert MinimalCarrier.capabilities()["tracking_patterns"] == ["YTO"]
    assert MinimalCarrier.tracking_number_matches("YTO", " YT1234567890123 ") is True
    assert MinimalCarrier.tracking_number_matches("YTO", "123") is False
    assert MinimalCarrier.tracking_number_matches("ZTO", "123") is None


def test_driver_closes_as_a_context_manager() -> None:
    MinimalDriver.closed = 0
    with MinimalDriver({"host": "10.0.0.9"}) as driver:
        driver.write(b"PRINT 1\r\n")
        with pytest.raises(TypeError):
            driver.settings["host"] = "x"  # type: ignore[index]
    assert MinimalDriver.closed == 1


def test_every_contract_is_abstract_and_kinds_are_distinct() -> None:
    assert list(CONTRACTS) == [
        "platform",
        "carrier",
        "printer_driver",
        "renderer",
        "notifier",
        "import_format",
    ]
    for contract in (SalesPlatform, Carrier, PrinterDriver, Renderer, ImportFormat):
        with pytest.raises(TypeError, match="abstract"):
            contract()  # type: ignore[abstract]


def test_an_issue_names_its_column_once() -> None:
    """Core's parsers prefix the field ("邮费(元): 'x' is not …"); the report adds the column."""
    issue = ImportIssue(6, "邮费(元): 'x.00' is not an amount in yuan", column="邮费(元)")
    assert issue.message == "'x.00' is not an amount in yuan"
    assert ImportIssue(6, "邮费(元): ", column="邮费(元)").message == "邮费(元): "
    assert ImportIssue(6, "运费: 'x' bad", column="邮费(元)").message == "运费: 'x' bad"
