"""`orderhub demo` in a real terminal: tmux runs it detached at 120×36 on a fresh data
directory and config; the test waits for the order desk to paint, picks the 已审 tab,
types a filter, selects three orders, prints them to the demo's `file` printer with the
desk's own keys, finds three PDFs in DATA_DIR/labels, quits with Ctrl-Q and checks that
nothing is left: the demo's process gone, no process of this installation alive, the
sandbox's port closed.

Every wait polls the screen (`tmux capture-pane -p`) or the folder until a generous
deadline, so a slow two-CPU machine only makes it slower, never wrong. The tmux server
is private to the test (`-L`), so it never meets a person's own sessions. CI installs
tmux (`.ci/run`); the test fails, not skips, without it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SIZE = (120, 36)
SETUP_SECONDS = 300  # sandbox, init, OAuth bind and sync on a loaded two-CPU machine
STEP_SECONDS = 90  # one key's effect (a page read, a print job of three labels)
ORDERS = 120
FILTER = "printed:no"
TABLE_KEYS = "space 选择"  # in the footer while the order table has the focus
BIN = Path(sys.executable).parent


class Terminal:
    """One detached tmux session on a private server."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"orderhub-demo-{uuid.uuid4().hex[:8]}"
        self.env = env

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-u", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout

    def start(self, command: str, status: Path) -> int:
        """Run `command` under a shell in the session's one pane; the shell writes its exit
        status into `status` (tmux itself may be slow to reap a pane's process). Returns
        the command's pid."""
        width, height = SIZE
        line = f"{command}; echo $? > {status}"
        self.tmux("new-session", "-d", "-s", "demo", "-x", str(width), "-y", str(height), line)
        self.tmux("set-option", "-w", "-t", "demo", "remain-on-exit", "on")
        shell = int(self.pane("pane_pid"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.05)
        pytest.fail(f"the pane's shell started no command: {self.screen()}")

    def pane(self, variable: str) -> str:
        return self.tmux("display-message", "-p", "-t", "demo", f"#{{{variable}}}").strip()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "demo", *(["-l"] if literal else []), *keys)

    def wait_for(self, what: str, found: Callable[[str], object], seconds: float) -> str:
        """The screen once `found(screen)` holds; fail with the last screen at the deadline."""
        deadline = time.monotonic() + seconds
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if found(screen):
                return screen
            time.sleep(0.25)
        pytest.fail(f"waited {seconds:.0f} s for {what}; the terminal shows:\n{screen}")

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def processes_of(marker: str, *besides: int) -> list[str]:
    """Live processes whose command line or environment names `marker` (our data dir),
    other than this one and `besides`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (os.getpid(), *besides):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and (marker.encode() in cmdline or marker.encode() in environ):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name}: {command}")
    return found


def pdfs(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob("*.pdf") if not p.name.startswith("."))


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    assert shutil.which("tmux"), "tmux is needed (.ci/run installs it)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERHUB_", "TMUX"))}
    env.update(
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TERM="xterm-256color",
        ORDERHUB_DATA_DIR=str(tmp_path / "data"),
        ORDERHUB_CONFIG=str(tmp_path / "orderhub.toml"),
        ORDERHUB_AUTH_ARGON2_TIME_COST="1",
        ORDERHUB_AUTH_ARGON2_MEMORY_KIB="1024",
        ORDERHUB_AUTH_ARGON2_PARALLELISM="1",
        ORDERHUB_PLUGINS_ONLY="orderhub",
    )
    term = Terminal(env)
    yield term
    term.close()


@pytest.mark.slow
def test_the_demo_prints_three_orders_from_the_desk_and_leaves_nothing_running(
    terminal: Terminal, tmp_path: Path
) -> None:
    port = free_port()
    labels = tmp_path / "data" / "labels"
    status = tmp_path / "exit-status"
    pid = terminal.start(f"{BIN / 'orderhub'} demo --orders {ORDERS} --port {port}", status)

    # The desk has painted: the tab strip with its counts, the footer's keys.
    painted = terminal.wait_for(
        "the order desk", lambda s: re.search(r"3已审 \d+", s) and TABLE_KEYS in s, SETUP_SECONDS
    )
    audited = int(re.search(r"3已审 ([\d,]+)", painted).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert audited >= 3, painted
    assert pdfs(labels) == []  # the interactive demo prints nothing by itself

    terminal.keys("3")  # the 已审 tab, then one row down, so a new filter shows as row 1
    in_tab = (f"共 {audited} 条", f"共 {audited:,} 条")  # not the tab the desk opened on
    terminal.wait_for(
        "the 已审 tab", lambda s: "第 1 条" in s and any(t in s for t in in_tab), STEP_SECONDS
    )
    terminal.keys("Down")
    terminal.wait_for("the cursor on row 2", lambda s: "第 2 条" in s, STEP_SECONDS)

    # Focus moves after the key is handled: type only once the footer shows the filter
    # bar's keys, not the table's (else the filter's letters would be the table's keys).
    terminal.keys("/")
    terminal.wait_for("the filter bar's focus", lambda s: TABLE_KEYS not in s, STEP_SECONDS)
    terminal.keys(FILTER, literal=True)
    terminal.wait_for("the typed filter", lambda s: FILTER in s, STEP_SECONDS)
    terminal.keys("Enter")
    filtered = terminal.wait_for(
        "the filtered list, the table's focus",
        lambda s: "第 1 条" in s and FILTER in s and TABLE_KEYS in s,
        STEP_SECONDS,
    )
    shown = int(re.search(r"第 1 条，共 ([\d,]+) 条", filtered).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert shown >= 3, filtered

    terminal.keys("Space", "Space", "Space")
    terminal.wait_for("three orders selected", lambda s: "已选 3 单" in s, STEP_SECONDS)
    terminal.keys("p")  # the print screen opens with the three, the demo's printer ticked
    terminal.wait_for(
        "the print screen", lambda s: "尚未打印" in s and "demo-pdf" in s, STEP_SECONDS
    )
    terminal.keys("p")

    deadline = time.monotonic() + STEP_SECONDS
    while len(pdfs(labels)) < 3 and time.monotonic() < deadline:
        time.sleep(0.25)
    files = pdfs(labels)
    assert len(files) == 3, (files, terminal.screen())
    terminal.wait_for("the job's end", lambda s: "已完成" in s and "已打 3/3" in s, STEP_SECONDS)
    assert all(f.read_bytes().startswith(b"%PDF-") for f in files)

    terminal.keys("C-q")
    deadline = time.monotonic() + STEP_SECONDS
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert status.exists() and status.read_text().strip() == "0", terminal.screen()
    assert "the terminal UI closed" in terminal.screen()

    assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    # The tmux server and the pane's shell (it may linger unreaped) carry our environment.
    tmux_server, shell = int(terminal.pane("pid")), int(terminal.pane("pane_pid"))
    assert processes_of(str(tmp_path / "data"), tmux_server, shell) == []
    assert not port_open(port)
    assert len(pdfs(labels)) == 3  # nothing printed after the operator left


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
