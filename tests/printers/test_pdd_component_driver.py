"""The `pinduoduo-component` driver against a WebSocket double of the print component."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.contracts.printer import PrinterState
from core.errors import DeviceNotFound, ExternalError, ValidationError
from plugins.printers.pinduoduo_component import PddComponentDriver
from plugins.printers.pinduoduo_component.errors import (
    PrintResultUnknown,
    PrintTaskFailed,
    PrintTaskRejected,
)
from tests.printers.doubles.pdd_component import PddComponentDouble
from tests.printers.doubles.tcp_printer import refused_port

# print_data as pdd.waybill.get returns it (encrypted), plus a custom area.
PRINT_DATA = {
    "encryptedData": "3b9f0c6e1d2a7f4b8c5e0a1d9f3c6b2e",
    "signature": "c2lnbmF0dXJlLWJ5dGVz",
    "templateUrl": "https://file-link.pinduoduo.com/yto_one",
    "ver": "3",
    "userid": "700000123",
}
CUSTOM_AREA = {"data": {"note": "易碎 轻放"}, "templateURL": "https://example.test/custom/1"}


def payload(*waybills: str) -> bytes:
    documents = [
        {"documentID": code, "contents": [{**PRINT_DATA}, CUSTOM_AREA]} for code in waybills
    ]
    return json.dumps({"documents": documents}, ensure_ascii=False).encode()


@pytest.fixture
def component() -> Iterator[PddComponentDouble]:
    with PddComponentDouble() as double:
        yield double


def driver_for(double: PddComponentDouble, **settings: object) -> PddComponentDriver:
    return PddComponentDriver({"url": double.url, **settings})


def test_a_task_prints_and_the_encrypted_contents_pass_through(
    component: PddComponentDouble,
) -> None:
    settings = {"printer": "XP-T58H", "erp_id": "erp-9", "isv_name": "orderhub"}
    with driver_for(component, **settings) as driver:
        driver.write(payload("YT1234567890123", "YT1234567890124"))
    assert component.commands() == ["getPrinters", "print"]
    request = component.received[1]
    assert request["version"] == "1.0" and request["requestID"]
    assert (request["ERPId"], request["ISVName"]) == ("erp-9", "orderhub")
    task = request["task"]
    assert task["printer"] == "XP-T58H" and task["preview"] is False
    assert task["taskID"] == driver.task_ids[0]
    assert [d["documentID"] for d in task["documents"]] == ["YT1234567890123", "YT1234567890124"]
    assert task["documents"][0]["contents"] == [PRINT_DATA, CUSTOM_AREA]


def test_a_job_sends_each_document_as_its_own_task(component: PddComponentDouble) -> None:
    with driver_for(component) as driver:
        for code in ("YT1", "YT2", "YT3"):
            driver.write(payload(code))
    assert component.commands() == ["print", "print", "print"]  # no printer set: no check
    assert len(set(driver.task_ids)) == 3
    request_ids = {m["requestID"] for m in component.received}
    assert len(request_ids) == 3


def test_a_single_document_and_a_given_task_id_are_accepted(
    component: PddComponentDouble,
) -> None:
    document = {"documentID": "YT9", "contents": [PRINT_DATA]}
    with driver_for(component) as driver:
        driver.write(json.dumps(document).encode())
        driver.write(json.dumps({"taskID": "job-7-item-2", "documents": [document]}).encode())
    assert driver.task_ids[1] == "job-7-item-2"


def test_the_cainiao_style_notification_name_is_understood() -> None:
    with PddComponentDouble(notify_cmd="notifyPrintResult") as double, driver_for(double) as d:
        d.write(payload("YT1"))
    assert double.commands() == ["print"]


def test_a_failed_task_says_which_documents_failed() -> None:
    double = PddComponentDouble(outcome="failed", failed_document=1)
    with double, pytest.raises(PrintTaskFailed) as caught, driver_for(double) as driver:
        driver.write(payload("YT1", "YT2", "YT3"))
    error = caught.value
    assert error.retryable is False
    assert error.first_failed_doc_sn == 1
    assert [d["status"] for d in error.documents] == ["success", "failed", "failed"]
    assert "YT2 (缺纸)" in error.message and double.url in error.message


def test_a_refused_task_is_rejected_not_retried() -> None:
    double = PddComponentDouble(outcome="reject")
    with double, pytest.raises(PrintTaskRejected, match="打印机不存在") as caught:
        driver_for(double).write(payload("YT1"))
    assert caught.value.retryable is False


def test_no_notification_in_time_asks_the_task_status_then_reports_unknown() -> None:
    with PddComponentDouble(outcome="never", late_status="printing") as double:
        driver = driver_for(double, status_timeout=1)
        with pytest.raises(PrintResultUnknown, match=r"within 0\.3 s") as caught:
            driver.write(payload("YT1"), timeout=0.3)
    assert caught.value.retryable is False
    assert caught.value.details["uncertain"] is True
    assert double.commands() == ["print", "getTaskStatus"]
    assert double.received[1]["taskID"] == driver.task_ids


@pytest.mark.parametrize(("late", "printed"), [("success", True), ("failed", False)])
def test_the_task_status_settles_a_missing_notification(late: str, printed: bool) -> None:
    with PddComponentDouble(outcome="never", late_status=late) as double:
        driver = driver_for(double)
        if printed:
            driver.write(payload("YT1"), timeout=0.2)
        else:
            with pytest.raises(PrintTaskFailed):
                driver.write(payload("YT1"), timeout=0.2)
        driver.close()


def test_a_dropped_connection_after_accepting_is_uncertain() -> None:
    double = PddComponentDouble(outcome="drop")
    with double, pytest.raises(PrintResultUnknown, match="closed the connection"):
        driver_for(double).write(payload("YT1"))


def test_a_component_that_is_not_running_is_retryable_and_named() -> None:
    url = f"ws://127.0.0.1:{refused_port()}"
    with pytest.raises(ExternalError, match=f"component at {url} is not reachable") as caught:
        PddComponentDriver({"url": url}).write(payload("YT1"))
    assert caught.value.retryable is True
    status = PddComponentDriver({"url": url}).status()
    assert status.state is PrinterState.OFFLINE


def test_an_unknown_printer_is_device_not_found(component: PddComponentDouble) -> None:
    with pytest.raises(DeviceNotFound) as caught:
        driver_for(component, printer="Deli-DL888").write(payload("YT1"))
    assert caught.value.message == (
        f"Pinduoduo print component at {component.url} has no printer 'Deli-DL888'; "
        "it has: GP-3120TU, XP-T58H"
    )
    assert "print" not in component.commands()


def test_discover_and_status(component: PddComponentDouble) -> None:
    found = driver_for(component).discover()
    assert [p.name for p in found] == ["GP-3120TU", "XP-T58H"]
    assert dict(found[1].settings) == {"url": component.url, "printer": "XP-T58H"}
    assert found[0].detail.endswith("(default printer)")
    assert found[0].languages == ("pdd-print",)
    assert driver_for(component).status().state is PrinterState.READY
    assert driver_for(component, printer="XP-T58H").status().state is PrinterState.READY
    gone = driver_for(component, printer="Deli-DL888").status()
    assert gone.state is PrinterState.OFFLINE and "Deli-DL888" in gone.message


def test_printer_config_round_trip_and_task_status(component: PddComponentDouble) -> None:
    driver = driver_for(component, printer="GP-3120TU")
    driver.set_printer_config({"name": "GP-3120TU", "horizontalOffset": 2, "verticalOffset": -1})
    config = driver.printer_config()
    assert (config["horizontalOffset"], config["verticalOffset"]) == (2, -1)
    with pytest.raises(ExternalError, match="refused getPrinterConfig: 打印机 nope 不存在"):
        driver.printer_config("nope")
    driver.write(payload("YT1"))
    [entry] = driver.task_status(driver.task_ids)
    assert entry["taskID"] == driver.task_ids[0]
    assert entry["detailStatus"][0]["documentID"] == "YT1"
    driver.close()
    driver.close()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"documents": []}', "non-empty 'documents' list"),
        (b'{"documents": [{"contents": [{}]}]}', r"documents\[0\].documentID must be"),
        (b'{"documents": [{"documentID": "YT1", "contents": []}]}', r"\(YT1\) needs a non-empty"),
        (b'{"documents": [{"documentID": "YT1", "contents": ["x"]}]}', "contents must be objects"),
        (b'{"taskID": 7, "documents": [{"documentID": "Y", "contents": [{}]}]}', "'taskID'"),
    ],
)
def test_bad_payloads_are_refused_before_anything_is_sent(
    component: PddComponentDouble, data: bytes, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        driver_for(component).write(data)
    assert component.received == []
