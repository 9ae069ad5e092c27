"""Print jobs over HTTP: creating one (queued; printed here by core's runner in process,
as `orderhub worker` would), idempotent retries, state and counts, server-sent progress,
pause / resume / cancel, reprint with a reason, settling uncertain labels; permissions
(403, nothing made), other orgs' jobs (404) and bad input (422 naming the field)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import msgspec
import pytest
from httpx import Client as ApiClient
from sqlalchemy import update

from api.routes import REGISTRY
from core.models import PrintJob, PrintJobItem
from core.printing import jobs
from core.printing.runner import run_job
from tests.api.conftest import assert_problem, login
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing import streams
from tests.printing.desk_world import NUMBERS, PrintWorld, make_world


@pytest.fixture
def world(app, acme) -> Iterator[PrintWorld]:  # type: ignore[no-untyped-def]
    with LoopbackPrinter() as listener:
        yield make_world(app, acme, listener)


def _jobs(client: ApiClient, headers: dict[str, str]) -> list[dict]:
    r = client.get("/v1/print-jobs", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _create(client: ApiClient, world: PrintWorld, headers: dict[str, str], **extra) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/v1/print-jobs", json=world.job_body(**extra), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _events(client: ApiClient, url: str, headers: dict[str, str]) -> list[tuple[str, dict]]:
    found = []
    with client.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                found.append((name, msgspec.json.decode(line.removeprefix("data: "))))
    return found


def test_create_run_and_read_a_job(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    created = _create(client, world, headers)
    assert {k: created[k] for k in ("kind", "status", "total", "printers", "allocated")} == {
        "kind": "label",
        "status": "queued",
        "total": 2,
        "printers": ["gp-1"],
        "allocated": 0,
    }
    assert created["template"].startswith("label-text-76x130@")
    assert created["refused"] == []
    job_id = created["id"]
    r = client.get(f"/v1/print-jobs/{job_id}", headers=headers)
    assert (r.json()["status"], r.json()["states"]) == ("queued", {"queued": 2})
    assert world.listener.connections == []  # the API queues; it does not print

    result = run_job(world.app, world.org.admin, job_id, render_processes=0)
    assert (result.status, result.done) == ("done", 2)
    assert streams.settle(world.listener, 2) == {n: 1 for n in NUMBERS.values()}
    detail = client.get(f"/v1/print-jobs/{job_id}", headers=headers).json()
    assert {k: detail[k] for k in ("id", "status", "total", "done", "failed", "states")} == {
        "id": job_id,
        "status": "done",
        "total": 2,
        "done": 2,
        "failed": 0,
        "states": {"done": 2},
    }
    assert detail["user"] == "boss" and detail["reprint"] is False
    listed = _jobs(client, headers)
    assert [(j["id"], j["status"], j["done"]) for j in listed] == [(job_id, "done", 2)]


def test_the_list_pages_with_its_cursor(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    ids = [
        _create(client, world, headers, kind="packing_slip", template=None)["id"] for _ in range(3)
    ]
    seen, url = [], "/v1/print-jobs?limit=2"
    while url:
        page = client.get(url, headers=headers).json()
        seen += [j["id"] for j in page["items"]]
        url = page["next_cursor"] and f"/v1/print-jobs?limit=2&after={page['next_cursor']}"
    assert seen == sorted(ids, reverse=True)
    r = client.get("/v1/print-jobs?status=done", headers=headers)
    assert r.json() == {"items": [], "next_cursor": None}
    for url, name in (
        ("/v1/print-jobs?limit=0", "limit"),
        ("/v1/print-jobs?status=lost", "status"),
        ("/v1/print-jobs?after=x", "after"),
    ):
        body = assert_problem(client.get(url, headers=headers), 422, "validation_error")
        assert body["field"] == name


def test_a_retry_with_the_same_key_gets_the_same_answer(client: ApiClient, world) -> None:  # type: ignore[no-untyped-def]
    headers = {**login(client, "boss"), "Idempotency-Key": "0b8f7c1e-job-1"}
    first = client.post("/v1/print-jobs", json=world.job_body(), headers=headers)
    again = client.post("/v1/print-jobs", json=world.job_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(_jobs(client, headers)) == 1
    # The same key with another body is a client bug: refused, naming the header.
    other = client.post("/v1/print-jobs", json=world.job_body(kind="pick_list"), headers=headers)
    body = assert_problem(other, 422, "validation_error")
    assert body["field"] == "Idempotency-Key"
    assert len(_jobs(client, headers)) == 1
    # Another key is another job (A-1 and A-2 are queued in the first: refused now).
    headers["Idempotency-Key"] = "0b8f7c1e-job-2"
    r = client.post("/v1/print-jobs", json=world.job_body(), headers=headers)
    assert_problem(r, 422, "validation_error")
    assert "waits in print job" in r.json()["detail"]
    bad = {**headers, "Idempotency-Key": "x" * 300}
    body = assert_problem(
        client.post("/v1/print-jobs", json=world.job_body(), headers=bad), 422, "validation_error"
    )
    assert body["field"] == "Idempotency-Key"


def test_two_concurrent_requests_with_one_key_make_one_job(
    client: ApiClient, world: PrintWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = jobs.create_print_job

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.5)  # the second request arrives while the first is being handled
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "create_print_job", slow)
    headers = {**login(client, "boss"), "Idempotency-Key": "concurrent-1"}
    start = threading.Barrier(2)
    answers: list = []

    def post() -> None:
        start.wait()
        answers.append(client.post("/v1/print-jobs", json=world.job_body(), headers=headers))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].content == answers[1].content
    assert len(_jobs(client, headers)) == 1


def test_a_refused_request_leaves_its_key_free(client: ApiClient, world, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("reader", "read_only")
    key = {"Idempotency-Key": "shared-key"}
    r = client.post(
        "/v1/print-jobs", json=world.job_body(), headers={**login(client, "reader"), **key}
    )
    assert_problem(r, 403, "permission_denied")
    boss = {**login(client, "boss"), **key}
    assert _jobs(client, boss) == []
    r = client.post("/v1/print-jobs", json=world.job_body(), headers=boss)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


def test_progress_as_server_sent_events(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]

    def later() -> None:
        time.sleep(0.3)
        run_job(world.app, world.org.admin, job_id, render_processes=0)

    printing = threading.Thread(target=later)
    printing.start()
    events = _events(client, f"/v1/print-jobs/{job_id}/events", headers)
    printing.join(30)
    names = [name for name, _ in events]
    assert names[0] == "progress" and names[-1] == "end"
    assert set(names[:-1]) == {"progress"}
    assert events[0][1]["status"] == "queued"
    assert (events[-1][1]["status"], events[-1][1]["done"]) == ("done", 2)
    dones = [data["done"] for _, data in events]
    assert dones == sorted(dones)
    # A job already over: one `end` event, then the stream closes.
    assert [n for n, _ in _events(client, f"/v1/print-jobs/{job_id}/events", headers)] == ["end"]


def test_pause_resume_cancel(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]
    url = f"/v1/print-jobs/{job_id}"
    for verb, status in (("pause", "paused"), ("resume", "queued"), ("cancel", "cancelled")):
        r = client.post(f"{url}/{verb}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"id": job_id, "status": status}
    detail = client.get(url, headers=headers).json()
    assert (detail["status"], detail["states"]) == ("cancelled", {"cancelled": 2})
    for verb in ("pause", "resume", "cancel"):
        assert_problem(client.post(f"{url}/{verb}", headers=headers), 409, "conflict")


def test_reprint_needs_a_reason_and_the_permission(client: ApiClient, world, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]
    url = f"/v1/print-jobs/{job_id}/reprint"
    assert_problem(client.post(url, json={"reason": "torn"}, headers=headers), 409, "conflict")
    run_job(world.app, world.org.admin, job_id, render_processes=0)
    body = assert_problem(client.post(url, json={}, headers=headers), 422, "validation_error")
    assert body["field"] == "reason"
    body = assert_problem(
        client.post(url, json={"reason": "torn", "positions": [9]}, headers=headers),
        422,
        "validation_error",
    )
    assert body["field"] == "positions"
    acme.staff("printer", "print_operator")
    operator = login(client, "printer")
    assert_problem(
        client.post(url, json={"reason": "torn"}, headers=operator), 403, "permission_denied"
    )
    assert len(_jobs(client, headers)) == 1
    r = client.post(url, json={"reason": "label torn", "positions": [2]}, headers=headers)
    assert r.status_code == 201, r.text
    again = r.json()
    assert (again["total"], again["printers"], again["status"]) == (1, ["gp-1"], "queued")
    detail = client.get(f"/v1/print-jobs/{again['id']}", headers=headers).json()
    assert detail["reprint"] is True
    run_job(world.app, world.org.admin, again["id"], render_processes=0)
    assert streams.settle(world.listener, 3) == {NUMBERS["A-1"]: 1, NUMBERS["A-2"]: 2}


def _uncertain(world: PrintWorld, job_id: int, position: int, state: str = "uncertain") -> None:
    """As a runner killed while sending leaves it (and the job paused)."""
    with world.app.tx() as session:
        session.execute(
            update(PrintJobItem)
            .where(PrintJobItem.job_id == job_id, PrintJobItem.position == position)
            .values(state=state)
        )
        session.execute(update(PrintJob).where(PrintJob.id == job_id).values(status="paused"))


def test_settle_uncertain_labels(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]
    run_job(world.app, world.org.admin, job_id, render_processes=0)
    _uncertain(world, job_id, 1)
    _uncertain(world, job_id, 2, state="sending")  # its runner was killed: no lease left
    url = f"/v1/print-jobs/{job_id}/items"
    r = client.post(f"{url}/1/resolve", json={"printed": True}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"job": job_id, "skipped": [1], "reprinted": []}
    body = assert_problem(
        client.post(f"{url}/2/resolve", json={"printed": False}, headers=headers),
        422,
        "validation_error",
    )
    assert body["field"] == "reason"
    r = client.get(f"{url}?state=uncertain", headers=headers)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert (item["position"], item["state"], item["waybill"]) == (2, "uncertain", NUMBERS["A-2"])
    assert item["orders"] == ["A-2"] and item["printer"] == "gp-1"
    r = client.post(f"{url}/2/resolve", json={"printed": False, "reason": "jam"}, headers=headers)
    assert r.json() == {"job": job_id, "skipped": [], "reprinted": [3]}
    body = assert_problem(  # settled already
        client.post(f"{url}/1/resolve", json={"printed": True}, headers=headers),
        422,
        "validation_error",
    )
    assert "no uncertain item at position(s) [1]" in body["detail"]
    body = assert_problem(
        client.post(f"{url}/1/resolve", json={"printed": "yes"}, headers=headers),
        422,
        "validation_error",
    )
    assert body["field"] == "printed"
    detail = client.get(f"/v1/print-jobs/{job_id}", headers=headers).json()
    assert (detail["status"], detail["states"]) == ("paused", {"done": 2, "queued": 1})
    page = client.get(f"{url}?limit=2", headers=headers).json()
    assert [i["position"] for i in page["items"]] == [1, 2] and page["next_cursor"] == "2"
    page = client.get(f"{url}?limit=2&after=2", headers=headers).json()
    assert [(i["position"], i["state"], i["reprint"]) for i in page["items"]] == [
        (3, "queued", True)
    ]
    body = assert_problem(client.get(f"{url}?state=lost", headers=headers), 422, "validation_error")
    assert body["field"] == "state"


def test_bad_input_names_the_field(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    for body, name in (
        ({"orders": ["A-1"], "printers": []}, "printers"),
        ({"orders": ["A-1"], "printers": ["gp-1"], "kind": "poster"}, "kind"),
        ({"orders": ["A-1"], "printers": ["gp-1"], "copies": 2}, "copies"),
        ({"orders": ["A-1"]}, "printers"),
        ({"printers": ["gp-1"]}, "orders"),
        ({"orders": ["A-1"], "packages": [1], "printers": ["gp-1"]}, "orders"),
        ({"query": "paid:>nodate", "printers": ["gp-1"]}, None),
    ):
        r = client.post("/v1/print-jobs", json=body, headers=headers)
        problem = assert_problem(r, 422, "validation_error")
        if name is not None:
            assert problem["field"] == name, (body, problem)
    assert_problem(
        client.post("/v1/print-jobs", json=world.job_body(printers=["nope"]), headers=headers),
        404,
        "not_found",
    )
    assert_problem(
        client.post("/v1/print-jobs", json=world.job_body(orders=["Z-9"]), headers=headers),
        404,
        "not_found",
    )
    bad_id = assert_problem(
        client.get("/v1/print-jobs/abc", headers=headers), 422, "validation_error"
    )
    assert bad_id["field"] == "id"
    assert _jobs(client, headers) == []


def test_permissions_and_other_orgs(client: ApiClient, world, acme, globex) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]
    acme.staff("guest")
    guest = login(client, "guest")
    assert_problem(client.get("/v1/print-jobs", headers=guest), 403, "permission_denied")
    assert_problem(client.get(f"/v1/print-jobs/{job_id}", headers=guest), 403, "permission_denied")
    for verb in ("pause", "resume", "cancel"):
        r = client.post(f"/v1/print-jobs/{job_id}/{verb}", headers=guest)
        assert_problem(r, 403, "permission_denied")
    assert client.get(f"/v1/print-jobs/{job_id}", headers=headers).json()["status"] == "queued"
    hank = login(client, "hank")
    assert _jobs(client, hank) == []
    for method, url, body in (
        ("GET", f"/v1/print-jobs/{job_id}", None),
        ("GET", f"/v1/print-jobs/{job_id}/events", None),
        ("GET", f"/v1/print-jobs/{job_id}/items", None),
        ("POST", f"/v1/print-jobs/{job_id}/pause", None),
        ("POST", f"/v1/print-jobs/{job_id}/resume", None),
        ("POST", f"/v1/print-jobs/{job_id}/cancel", None),
        ("POST", f"/v1/print-jobs/{job_id}/reprint", {"reason": "x"}),
        ("POST", f"/v1/print-jobs/{job_id}/items/1/resolve", {"printed": True}),
    ):
        assert_problem(client.request(method, url, json=body, headers=hank), 404, "not_found")
    assert client.get(f"/v1/print-jobs/{job_id}", headers=headers).json()["status"] == "queued"


def test_answers_decode_as_their_declared_types(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    r = client.post("/v1/print-jobs", json=world.job_body(), headers=headers)
    job_id = r.json()["id"]
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    answers = [
        (("POST", "/v1/print-jobs"), r),
        (("GET", "/v1/print-jobs"), client.get("/v1/print-jobs", headers=headers)),
        (("GET", "/v1/print-jobs/{id}"), client.get(f"/v1/print-jobs/{job_id}", headers=headers)),
        (
            ("GET", "/v1/print-jobs/{id}/items"),
            client.get(f"/v1/print-jobs/{job_id}/items", headers=headers),
        ),
        (
            ("POST", "/v1/print-jobs/{id}/pause"),
            client.post(f"/v1/print-jobs/{job_id}/pause", headers=headers),
        ),
    ]
    for key, answer in answers:
        assert answer.status_code == ops[key].status, answer.text
        msgspec.json.decode(answer.content, type=ops[key].response, strict=True)


def test_the_document_types_each_events_data(client: ApiClient) -> None:
    doc = client.get("/v1/openapi.json").json()
    ok = doc["paths"]["/v1/print-jobs/{id}/events"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/event-stream"]
    event = ok["content"]["text/event-stream"]["schema"]
    assert event["properties"]["data"]["contentSchema"] == {
        "$ref": "#/components/schemas/JobDetail"
    }
    post = doc["paths"]["/v1/print-jobs"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"] if p["in"] == "header"]
    assert "409" in post["responses"]


def test_a_quiet_stream_sends_keep_alive_comments(
    client: ApiClient, world: PrintWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.routes import print_jobs

    monkeypatch.setattr(print_jobs, "KEEP_ALIVE_SECONDS", 0.2)
    headers = login(client, "boss")
    job_id = _create(client, world, headers)["id"]
    client.post(f"/v1/print-jobs/{job_id}/pause", headers=headers)
    # The in-process transport hands over an answer once it is complete, so the job is
    # cancelled from another thread a while after the stream opened.
    cancel = threading.Timer(
        1.0, lambda: client.post(f"/v1/print-jobs/{job_id}/cancel", headers=headers)
    )
    cancel.start()
    try:
        r = client.get(f"/v1/print-jobs/{job_id}/events", headers=headers, timeout=30)
    finally:
        cancel.join()
    lines = [line for line in r.text.splitlines() if line]
    assert lines[0] == "event: progress" and ": keep-alive" in lines
    assert lines[-2] == "event: end" and '"status":"cancelled"' in lines[-1]
