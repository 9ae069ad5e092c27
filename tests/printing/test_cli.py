"""`orderhub printers …` and `orderhub print …` end to end on both backends: the sandbox
gateway over loopback HTTP, orders synced by `orderhub sync`, waybills drawn through the
real carrier plugin, labels sent by the real drivers to a loopback raw-9100 printer and
to the `file` driver. (The CUPS raw queue is in `test_cups.py`.)"""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.conftest import TEST_KEY
from tests.printers.doubles.tcp_printer import LoopbackPrinter, refused_port
from tests.printing import streams
from tests.printing.rig import FIXTURES, TEXT_TEMPLATE
from tests.waybills.rig import platform_settings


@pytest.fixture
def cli(rig, monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(settings.data_dir))
    for key, value in platform_settings(rig.server).items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        monkeypatch.setenv(f"ORDERHUB_PLATFORMS__PINDUODUO__{key.upper()}", text)
    return rig


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv: str):  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "--json", *argv)
    assert code == 0, err
    return json.loads(out) if out.strip() else None


def synced_with_account(cli, capsys) -> str:  # type: ignore[no-untyped-def]
    """Orders synced with `orderhub sync`, a carrier account added with `orderhub carrier`."""
    shop = str(cli.bind())
    code, _, err = run(capsys, "sync", "--shop", shop)
    assert code == 0, err
    ok(
        capsys,
        "carrier",
        "add",
        "圆通",
        "--carrier",
        "pinduoduo-waybill",
        "--wp-code",
        "yto",
        "--shop",
        shop,
        "--sender-name",
        "王仓管",
        "--sender-phone",
        "13800138000",
    )
    return shop


def test_printers_from_the_command_line(cli, capsys, listener) -> None:
    added = ok(
        capsys,
        "printers",
        "add",
        "仓库一号",
        "--driver",
        "network",
        "--set",
        "host=127.0.0.1",
        "--set",
        f"port={listener.port}",
        "--media",
        "76x130",
        "--render",
        "density=10",
        "--render",
        "invert_bitmap=false",
    )
    assert added["language"] == "tspl" and added["render"] == {
        "density": 10,
        "invert_bitmap": False,
    }
    assert added["settings"] == {"host": "127.0.0.1", "port": str(listener.port)}
    code, out, _ = run(capsys, "printers", "list")
    assert code == 0 and "仓库一号" in out and f"127.0.0.1:{listener.port}" in out
    assert ok(capsys, "printers", "calibrate", "仓库一号", "--dx", "1.5", "--dy", "-0.5")[
        "offset_mm"
    ] == [1.5, -0.5]
    sent = ok(capsys, "printers", "test", "仓库一号")
    assert listener.wait_until(lambda: listener.total() == sent["bytes"])
    assert listener.received.startswith(b"SIZE 76 mm,130 mm") and b"DENSITY 10" in listener.received
    updated = ok(capsys, "printers", "update", "仓库一号", "--set", "connect_timeout=2")
    assert updated["settings"]["connect_timeout"] == "2" and updated["settings"]["host"]
    code, _, err = run(capsys, "printers", "add", "bad", "--driver", "network")
    assert code == 1 and "setting 'host' is required" in err
    code, _, err = run(capsys, "printers", "add", "bad", "--driver", "file", "--set", "oops")
    assert code == 1 and "is not KEY=VALUE" in err
    assert ok(capsys, "printers", "discover", "--driver", "file") == []  # cannot discover


def test_a_batch_from_synced_orders_to_a_network_printer_and_back(cli, capsys, listener) -> None:
    synced_with_account(cli, capsys)
    ok(
        capsys,
        "printers",
        "add",
        "gp-1",
        "--driver",
        "network",
        "--set",
        "host=127.0.0.1",
        "--set",
        f"port={listener.port}",
        "--cjk-font",
        "TSS24.BF2",
        "--render",
        "native_barcode=true",
    )
    assert (
        ok(capsys, "print", "templates", "--import", str(FIXTURES / f"{TEXT_TEMPLATE}.json"))[
            "version"
        ]
        == 1
    )
    code, out, err = run(
        capsys,
        "--json",
        "print",
        "--filter",
        "limit=8",
        "--printer",
        "gp-1",
        "--template",
        TEXT_TEMPLATE,
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "done" and result["done"] == result["total"] > 0
    printed = result["done"]
    received = streams.settle(listener, printed)
    assert sum(received.values()) == printed and set(received.values()) == {1}
    jobs = ok(capsys, "print", "jobs")
    assert (jobs[0]["job"], jobs[0]["status"], jobs[0]["done"]) == (result["job"], "done", printed)
    number = next(iter(received))
    (row,) = ok(capsys, "print", "history", "--waybill", number)
    order = row["orders"][0]
    assert (row["job"], row["printer"], row["template"]) == (
        result["job"],
        "gp-1",
        f"{TEXT_TEMPLATE}@1",
    )
    assert [r["waybill"] for r in ok(capsys, "print", "history", "--order", order)] == [number]

    code, _, err = run(capsys, "print", "--orders", order, "--printer", "gp-1")
    assert code == 1 and "was printed in job" in err and "--reprint --reason" in err
    cli.org.staff("op-1", "print_operator")
    code, _, err = run(
        capsys,
        "print",
        "--orders",
        order,
        "--printer",
        "gp-1",
        "--reprint",
        "--reason",
        "torn",
        "--as",
        "op-1",
    )
    assert code == 1 and "print.reprint" in err
    again = ok(
        capsys, "print", "--orders", order, "--printer", "gp-1", "--reprint", "--reason", "torn"
    )
    assert again["done"] == 1
    assert streams.settle(listener, printed + 1)[number] == 2
    history = ok(capsys, "print", "history", "--order", order)
    assert [(h["reprint"], h["reason"]) for h in history] == [(True, "torn"), (False, "")]
    code, out, _ = run(capsys, "print", "show", str(again["job"]))
    assert code == 0 and "reprint" in out and number in out


def test_a_dead_printer_pauses_and_resume_finishes_from_the_command_line(cli, capsys) -> None:
    synced_with_account(cli, capsys)
    ok(
        capsys,
        "printers",
        "add",
        "down",
        "--driver",
        "network",
        "--set",
        "host=127.0.0.1",
        "--set",
        f"port={refused_port()}",
        "--set",
        "connect_timeout=1",
        "--cjk-font",
        "TSS24.BF2",
        "--render",
        "native_barcode=true",
    )
    ok(capsys, "print", "templates", "--import", str(FIXTURES / f"{TEXT_TEMPLATE}.json"))
    code, out, err = run(
        capsys,
        "--json",
        "print",
        "--filter",
        "limit=4",
        "--printer",
        "down",
        "--template",
        TEXT_TEMPLATE,
    )
    assert code == 3, err
    paused = json.loads(out)
    assert paused["status"] == "paused" and "cannot connect to printer 127.0.0.1" in paused["error"]
    assert "cannot connect" in err
    code, out, _ = run(capsys, "print", "show", str(paused["job"]), "--state", "queued")
    assert code == 0 and out.count("queued") == paused["total"]
    with LoopbackPrinter() as listener:
        ok(capsys, "printers", "update", "down", "--set", f"port={listener.port}")
        done = ok(capsys, "print", "resume", str(paused["job"]))
        assert (done["status"], done["sent_now"]) == ("done", paused["total"])
        assert sum(streams.settle(listener, done["done"]).values()) == done["done"]
    code, _, err = run(capsys, "print", "resume", str(paused["job"]))
    assert code == 1 and "nothing to resume" in err


def test_a_batch_to_the_file_driver_and_slips_from_the_command_line(cli, capsys, tmp_path) -> None:
    synced_with_account(cli, capsys)
    folder = tmp_path / "labels"
    ok(
        capsys,
        "printers",
        "add",
        "files",
        "--driver",
        "file",
        "--set",
        f"folder={folder}",
        "--set",
        "create=true",
        "--language",
        "pdf",
    )
    labels = ok(capsys, "print", "--filter", "limit=5", "--printer", "files")
    assert labels["status"] == "done" and labels["done"] > 0
    (document,) = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert document.read_bytes().startswith(b"%PDF-")  # the labels as one PDF, one page each
    ok(capsys, "printers", "update", "files", "--media", "210x297")
    code, out, err = run(
        capsys, "print", "--filter", "printed=yes", "--printer", "files", "--kind", "packing_slip"
    )
    assert code == 0, err
    slips = dict(line.split(": ", 1) for line in out.splitlines())
    assert slips["status"] == "done" and int(slips["done"]) == labels["done"]
    # stderr is not a terminal: the job's progress ends with one line that sums it up
    n, job = labels["done"], slips["job"]
    assert f"job {job}: {n}/{n} slips (100%) in " in err, err
    assert f"; {n} printed, 0 failed, 0 uncertain\n" in err, err
    code, _, err = run(capsys, "print", "--printer", "files")
    assert code == 1 and "--orders" in err
    code, _, err = run(capsys, "print", "--filter", "colour=red", "--printer", "files")
    assert code == 1 and "unknown key 'colour'" in err


def test_a_bad_template_file_is_one_line_on_stderr_and_nothing_stored(
    cli, capsys, tmp_path
) -> None:
    good = json.loads((FIXTURES / f"{TEXT_TEMPLATE}.json").read_text())
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(good | {"width_mm": 1e308}))
    deep = tmp_path / "deep.json"
    deep.write_text(
        json.dumps(good).replace(
            '"elements": [', '"elements": [' + "[" * 200_000 + "]" * 200_000 + ",", 1
        )
    )
    big = tmp_path / "big.json"
    big.write_text(json.dumps(good | {"description": "x" * 3_000_000}))
    cases = {
        huge: "template file: width_mm: 1e+308 is out of range 10–600 mm",
        deep: "JSON nested 200002 levels deep; a template nests at most 10",
        big: "bytes; at most 2,097,152 bytes are accepted",
        tmp_path / "absent.json": "cannot read the template file: No such file or directory",
    }
    for path, words in cases.items():
        code, _, err = run(capsys, "print", "templates", "--import", str(path))
        assert code == 1
        assert err.startswith("orderhub: error: ") and err.count("\n") == 1, err
        assert words in err, err
    listed = ok(capsys, "print", "templates")
    assert TEXT_TEMPLATE not in {t["name"] for t in listed}


def test_a_queued_job_is_printed_by_orderhub_worker(cli, capsys, listener) -> None:
    synced_with_account(cli, capsys)
    cli.text_printer("gp-1", listener.port)
    queued = ok(
        capsys,
        "print",
        "--filter",
        "limit=5",
        "--printer",
        "gp-1",
        "--template",
        TEXT_TEMPLATE,
        "--no-run",
        "--quiet",
    )
    total = queued["total"]
    assert queued["status"] == "queued" and total > 0
    code, _, err = run(capsys, "worker", "--once", "--worker-id", "w-noprint", "--no-print")
    assert code == 0, err
    assert "sync, audit, alerts, shipback, stockpush, idempotency-purge)" in err  # no print
    assert listener.total() == 0
    code, _, err = run(capsys, "worker", "--once", "--worker-id", "w-print", "--printer", "gp-1")
    assert code == 0, err
    assert f"print job {queued['job']}: done, {total} sent now" in err
    assert sum(streams.settle(listener, total).values()) == total  # each label once
    assert set(streams.printed(listener.connections).values()) == {1}
    job = ok(capsys, "print", "jobs")
    assert [(j["job"], j["status"]) for j in job] == [(queued["job"], "done")]
