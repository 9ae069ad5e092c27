"""`orderhub demo` end to end: a fresh installation, the sandbox gateway over loopback, a
shop bound through OAuth, orders synced, waybills drawn and labels written as PDF files —
on the embedded SQLite default, and on a fresh PostgreSQL database when one is configured.
Off a terminal it runs headless and says so; on one it opens the order desk as the demo
admin (here in Textual's headless driver; tests/tui/test_demo_tmux.py drives a real
terminal) and stops the sandbox when the UI closes.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from cli.main import main


@pytest.fixture
def demo_env(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away data dir and config path; PostgreSQL via ORDERHUB_DATABASE_URL."""
    for name in ("ORDERHUB_SECRET_KEY", "ORDERHUB_DATABASE_URL", "ORDERHUB_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    if fresh_database_url.startswith("postgresql"):
        monkeypatch.setenv("ORDERHUB_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "orderhub.toml"))
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_PARALLELISM", "1")
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return tmp_path


def test_demo_syncs_allocates_and_writes_one_pdf_per_label(demo_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--headless", "--orders", "50"]) == 0
    out = capsys.readouterr().out
    printed, total = map(int, re.search(r"labels printed:\s+(\d+) of (\d+)", out).groups())  # type: ignore[union-attr]
    assert printed == total > 0
    assert re.search(r"orders synced:\s+50 ", out)
    assert re.search(r"admin password \(shown once\): \S{20}", out)
    folder = demo_env / "data" / "labels"
    # The file driver's own lock and counter are hidden; a partial label would be too.
    hidden = {p.name for p in folder.iterdir() if p.name.startswith(".")}
    assert hidden <= {".orderhub-printer.lock", ".orderhub-printer.sequence"}
    pdfs = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    assert len(pdfs) == printed
    for pdf in pdfs:
        assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF-")
        reader = PdfReader(pdf)  # parses the whole file: a valid PDF of one label page
        (page,) = reader.pages
        width_mm, height_mm = (float(v) / 72 * 25.4 for v in page.mediabox[2:])
        assert (round(width_mm), round(height_mm)) == (76, 130)
        text = page.extract_text()  # the sort area, from the waybill's routing_info
        assert re.search(r"\d{3}-[A-Z]\d{2} \d{2}", text) and "转运中心" in text

    config = (demo_env / "orderhub.toml").read_text()
    assert "[platforms.pinduoduo]" in config and "gateway_url = " in config

    # Later commands see the same installation.
    assert main(["--json", "shop", "list"]) == 0
    (shop,) = json.loads(capsys.readouterr().out)
    assert shop["status"] == "active" and shop["platform"] == "pinduoduo"
    assert main(["--json", "print", "history"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert len(history) == printed and {h["printer"] for h in history} == {"demo-pdf"}
    assert main(["--json", "waybill", "list"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == printed

    # The demo keeps stock: orders approved on arrival reserved theirs (the labels' orders
    # too: printing moves no stock), and every level equals its ledger.
    assert main(["--json", "stock", "levels"]) == 0
    levels = json.loads(capsys.readouterr().out)
    assert {lv["on_hand"] for lv in levels} == {60} and sum(lv["reserved"] for lv in levels) > 0
    assert main(["stock", "verify"]) == 0
    capsys.readouterr()

    # A second run refuses to touch the existing installation; stdout is no terminal here,
    # so without --headless it says it runs headless first.
    assert main(["demo", "--orders", "50"]) == 1
    err = capsys.readouterr().err
    assert "not on a terminal" in err and "running headless" in err
    assert "needs a fresh installation" in err


def test_on_a_terminal_the_demo_opens_the_desk_and_stops_the_sandbox_on_quit(
    demo_env: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from cli import demo_tui
    from plugins.platforms.pinduoduo.sandbox import SandboxServer
    from tui.app import OrderhubApp
    from tui.screens.desk import DeskScreen

    seen: dict[str, object] = {}
    servers: list[SandboxServer] = []
    real_start, real_run = SandboxServer.start, OrderhubApp.run

    def start(server: SandboxServer) -> SandboxServer:
        servers.append(server)
        return real_start(server)

    async def operator(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        for _ in range(200):  # the desk and its first page, read in a thread
            await pilot.pause(0.05)
            if isinstance(app.screen, DeskScreen) and app.screen.counts is not None:
                break
        session = app.session
        seen.update(screen=type(app.screen).__name__, user=session.actor.label)
        seen.update(token=session.token is not None, total=app.screen.counts.total)
        seen["sandbox_alive"] = servers[0]._thread is not None and servers[0]._thread.is_alive()
        await pilot.press("ctrl+q")

    def run_headless(app: OrderhubApp, **_: object) -> None:
        real_run(app, headless=True, size=(120, 36), auto_pilot=operator)

    monkeypatch.setattr(demo_tui, "interactive", lambda: True)
    monkeypatch.setattr(SandboxServer, "start", start)
    monkeypatch.setattr(OrderhubApp, "run", run_headless)
    assert main(["demo", "--orders", "30", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    synced = int(re.search(r"orders seen in \d+ window\(s\), (\d+) new", out).group(1))  # type: ignore[union-attr]
    assert seen == {
        "screen": "DeskScreen",
        "user": "admin",
        "token": True,
        "total": synced,
        "sandbox_alive": True,
    }
    assert "admin password (shown once)" in out and "the terminal UI closed" in out
    assert "printing up to" not in out  # the operator prints from the desk
    (server,) = servers
    assert server._thread is None  # stopped: its thread joined, its socket closed
