#!/usr/bin/env python3
"""The whole daily flow of orderhub, driven through its HTTP API alone.

    .venv/bin/python docs/api_walkthrough.py [--orders 40] [--keep DIR]

What a merchant's own system would do, step by step, against a running installation:
log in; bind a Pinduoduo shop (OAuth: the consent page, the callback); sync its orders;
审单 (approve them); add a carrier account and a label printer; print the labels with an
Idempotency-Key, following the job's progress as server-sent events; scan each parcel at
the pack station; confirm shipment back to the platform; read a report.

To run from a fresh clone it first sets up what an administrator sets up once, on its own
(those steps are not the API's): a data directory in a temporary folder, `orderhub init`,
the Pinduoduo sandbox gateway (`orderhub sandbox`, a double of the real gateway), a
"printer" — a TCP listener on 127.0.0.1 that records what a network label printer on port
9100 would receive — and the two processes of an installation, `orderhub serve` and
`orderhub worker`. Everything is stopped at the end. Against a real installation only the
API part applies: point `API` at it and log in as one of its users.

Exit 0 when every step did what it should; each step prints what it saw.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

ORDERHUB = [sys.executable, "-m", "cli.main"]
PASSWORD = "Walk-Through-2026"
PRINTER = "loopback"
ACCOUNT = "圆通"
SHANGHAI = ZoneInfo("Asia/Shanghai")
WAIT = 120.0  # seconds any one step may take on a slow machine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40, help="orders in the sandbox shop")
    parser.add_argument("--keep", type=Path, help="use (and keep) this data directory")
    args = parser.parse_args()
    with ExitStack() as stack:
        data = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        data.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "ORDERHUB_DATA_DIR": str(data),
            "ORDERHUB_CONFIG": str(data / "orderhub.toml"),
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        for key in ("ORDERHUB_DATABASE_URL", "ORDERHUB_SECRET_KEY"):
            env.pop(key, None)  # the embedded default: SQLite in the data directory
        sandbox = stack.enter_context(_sandbox(env, args.orders))
        _write_config(data / "orderhub.toml", sandbox)
        _init(env)
        printer = stack.enter_context(_RecordingPrinter.running())
        api = stack.enter_context(_serve(env))
        stack.enter_context(_process([*ORDERHUB, "worker", "--poll", "0.5"], env, "worker"))
        return _flow(api, sandbox, printer)
    return 1


def _flow(api: str, sandbox: dict, printer: _RecordingPrinter) -> int:
    http = httpx.Client(base_url=api, timeout=60)

    _step("log in")
    r = _ok(http.post("/v1/auth/login", json={"username": "admin", "password": PASSWORD}))
    http.headers["Authorization"] = f"Bearer {r['token']}"
    print(f"    a session token for {r['username']}, until {r['expires_at']}")

    _step("bind the sandbox's shop (OAuth code flow)")
    start = _ok(http.post("/v1/shops/authorizations", json={"platform": "pinduoduo"}))
    owner = sandbox["shops"][0]["owner_id"]
    # The merchant approves on the platform's consent page; the browser follows its
    # redirect to this API's callback, which finishes the binding.
    consent = httpx.get(f"{start['url']}&{urlencode({'owner_id': owner})}", timeout=30)
    assert consent.status_code == 302, consent.text
    shop = _ok(httpx.get(consent.headers["location"], timeout=60))
    print(f"    shop {shop['id']}: {shop['name']} ({shop['platform_shop_id']})")

    _step("sync its orders (the worker does, at once)")
    _ok(http.post(f"/v1/shops/{shop['id']}/sync"), 202)
    _until(lambda: _synced(http, shop["id"]), "the first sync")
    counts = _ok(http.get("/v1/orders/counts"))
    print(f"    {counts['total']} orders; per tab: {_nonzero(counts)}")

    _step("审单: the rules approved the plain orders; look at the exceptions")
    exceptions = _ok(http.get("/v1/orders", params={"q": "status:exception"}))["items"]
    for row in exceptions:
        print(f"    {row['order_no']} {row['receiver_name']}: {row['exception_reasons']}")
    # The operator read the buyers' notes: an order held only for its note may go.
    noted = [r["order_no"] for r in exceptions if set(r["exception_reasons"]) == {"buyer_memo"}]
    if noted:
        decided = _ok(http.post("/v1/orders/approve", json={"orders": noted}))
        print(f"    approved {decided['applied']} after reading the note: {', '.join(noted)}")
    audited = _ok(http.get("/v1/orders/counts", params={"q": "status:audited"}))["total"]
    print(f"    {audited} orders approved, ready to print")
    assert audited, "nothing to print"

    _step("add a carrier account on the shop's e-waybill subscription, and a printer")
    account = _ok(
        http.post(
            "/v1/carrier-accounts",
            json={
                "name": ACCOUNT,
                "carrier": "pinduoduo-waybill",
                "wp_code": "YTO",
                "shop_id": shop["id"],
                "sender": {"name": "王仓管", "phone": "13800138000"},
            },
        ),
        201,
    )
    print(f"    {account['name']}: branch {account['branch_name'] or account['branch_code']}")
    _ok(
        http.post(
            "/v1/printers",
            json={
                "name": PRINTER,
                "driver": "network",
                "language": "tspl",
                "settings": {"host": "127.0.0.1", "port": printer.port},
            },
        ),
        201,
    )
    print(f"    printer {PRINTER}: network, TSPL, 127.0.0.1:{printer.port}")

    _step("print the labels (the worker sends them; progress as server-sent events)")
    body = {"query": "status:audited", "printers": [PRINTER], "carrier_account": ACCOUNT}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    job = _ok(http.post("/v1/print-jobs", json=body, headers=key), 201)
    again = http.post("/v1/print-jobs", json=body, headers=key)  # a retry: the same job
    assert again.json()["id"] == job["id"] and again.headers["idempotent-replayed"] == "true"
    print(f"    job {job['id']}: {job['total']} labels (a retry with the key: the same job)")
    last = _follow_events(http, job["id"])
    print(f"    {last['status']}: {last['done']} printed, {last['failed']} failed")
    assert last["status"] == "done", last
    received = printer.labels()
    print(f"    the printer received {received} label(s), {printer.bytes} bytes")
    assert received == last["done"], (received, last)

    _step("pack station: scan each parcel's waybill, then its items")
    waybills = _ok(http.get("/v1/waybills", params={"status": "printed", "limit": 500}))
    numbers = [w["number"] for w in waybills["items"]]
    for number in numbers:
        _pack(http, number)
    print(f"    {len(numbers)} parcels verified")

    _step("confirm shipment back to the platform")
    confirmed = _ok(http.post("/v1/shipments/confirm", json={"waybills": numbers}))
    print(f"    {len(confirmed['confirmed'])} packages shipped; the worker sends the outbox")
    outbox = _until(lambda: _outbox_drained(http), "the platform's confirmations")
    print(f"    outbox: {outbox['counts']}")

    _step("read a report")
    today = datetime.now(SHANGHAI).date()  # reports count Shanghai days
    report = _ok(
        http.get(
            "/v1/reports/shipped",
            params={"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))},
        )
    )
    print(f"    {report['title']}: {json.dumps(report['rows'], ensure_ascii=False)}")
    _step("done: the flow ran through the API alone")
    return 0


def _follow_events(http: httpx.Client, job_id: int) -> dict:
    """The job's `progress` events until `end`; the last state seen."""
    last: dict = {}
    with http.stream("GET", f"/v1/print-jobs/{job_id}/events", timeout=WAIT) as events:
        assert events.status_code == 200, events.read()
        name = ""
        for line in events.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                last = json.loads(line[len("data: ") :])
                print(f"      {name}: {last['status']} {last['done']}/{last['total']}")
                if name == "end":
                    break
    return last


def _pack(http: httpx.Client, waybill: str) -> None:
    """Scan the waybill, then every item as many times as the package holds it."""
    scan = _ok(http.post("/v1/pack/scans", json={"code": waybill}))
    answer = scan["answer"]
    assert answer["kind"] == "package", answer
    for item in answer["items"]:
        for _ in range(item["expected"] - item["scanned"]):
            scan = _ok(
                http.post("/v1/pack/scans", json={"code": item["code"], "station": scan["station"]})
            )
    assert scan["answer"]["kind"] == "verified", scan["answer"]


def _synced(http: httpx.Client, shop_id: int) -> bool:
    """A pass has ended when the shop is no longer due: its next sync is minutes away."""
    shop = _ok(http.get(f"/v1/shops/{shop_id}"))
    if shop["consecutive_failures"]:
        failed = _ok(http.get("/v1/sync/runs", params={"shop_id": shop_id, "status": "failed"}))
        raise SystemExit(f"sync failed: {failed['items'][0]['error']}")
    due = datetime.fromisoformat(shop["next_sync_at"]) if shop["next_sync_at"] else None
    return due is not None and due > datetime.now(UTC) + timedelta(seconds=60)


def _outbox_drained(http: httpx.Client) -> dict | None:
    """The outbox once nothing is left to send; a row waiting for a person is an error."""
    outbox = _ok(http.get("/v1/shipments/outbox"))
    counts = outbox["counts"]
    if counts.get("held") or counts.get("needs_person"):
        raise SystemExit(f"confirmations need a person: {outbox['items']}")
    return None if counts.get("pending") or counts.get("sending") else outbox


def _nonzero(counts: dict) -> str:
    return ", ".join(f"{tab} {n}" for tab, n in counts["counts"].items() if n) or "none"


def _ok(response: httpx.Response, status: int = 200) -> dict:
    if response.status_code != status:
        raise SystemExit(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text}"
        )
    return response.json()


def _until(check, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise SystemExit(f"gave up waiting for {what} after {WAIT:.0f} s")


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


# --- the one-time set-up (not through the API) -------------------------------------------


def _init(env: dict[str, str]) -> None:
    _step("set up: orderhub init (org demo, admin admin)")
    subprocess.run(
        [*ORDERHUB, "init", "--org", "demo", "--admin", "admin", "--password-stdin"],
        input=PASSWORD,
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def _sandbox(env: dict[str, str], orders: int) -> Iterator[dict]:
    _step("set up: the Pinduoduo sandbox gateway")
    command = [
        *ORDERHUB, "sandbox", "--port", "0", "--json", "--shops", "1", "--orders", str(orders),
        "--new-orders-per-hour", "0", "--updates-per-hour", "0",
    ]  # fmt: skip
    with _process(command, env, "sandbox", stdout=subprocess.PIPE) as process:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise SystemExit("the sandbox did not start")
        info = json.loads(line)
        print(f"    {info['url']}: {info['orders']} orders")
        yield info


def _write_config(path: Path, sandbox: dict) -> None:
    keys = ("client_id", "client_secret", "gateway_url", "auth_url")
    lines = ["[platforms.pinduoduo]"] + [f"{k} = {json.dumps(sandbox[k])}" for k in keys]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def _serve(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    _step(f"set up: orderhub serve on 127.0.0.1:{port} and orderhub worker")
    with _process([*ORDERHUB, "serve", "--port", str(port)], env, "serve"):
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if httpx.get(f"{base}/v1/openapi.json", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("orderhub serve did not answer")
            time.sleep(0.2)
        yield base


@contextmanager
def _process(
    command: list[str], env: dict[str, str], name: str, stdout: int | None = None
) -> Iterator[subprocess.Popen]:
    log = open(Path(env["ORDERHUB_DATA_DIR"]) / f"{name}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        command, env=env, stdout=stdout or log, stderr=log, text=True, start_new_session=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _RecordingPrinter:
    """A network label printer's port, recording what it receives (no paper here)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def bytes(self) -> int:
        with self.lock:
            return sum(len(b) for b in self.received)

    def labels(self) -> int:
        """TSPL ends every label with a PRINT command."""
        with self.lock:
            data = b"".join(self.received)
        return data.count(b"\nPRINT ") + data.startswith(b"PRINT ")

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    with self.lock:
                        self.received.append(chunk)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[_RecordingPrinter]:
        printer = cls()
        threading.Thread(target=printer._serve, daemon=True).start()
        try:
            yield printer
        finally:
            printer.server.close()


if __name__ == "__main__":
    sys.exit(main())
