"""Every command of `orderhub`, fed hostile values in each argument it requires: a NUL, a
400-digit number, right-to-left override and path tricks. Each ends with an answer — exit
0, a usage error (2), or one `orderhub: error:` line and exit 1 — never a traceback."""

from __future__ import annotations

import argparse
import io
import traceback
from pathlib import Path

import pytest

from cli.main import build_parser, main

#: Long-running or network commands: they have their own tests (`demo`, `sandbox`,
#: `worker` and `serve` serve until stopped — tests/api/test_serve.py; `init` makes the
#: installation this test runs in; `shop bind` waits for a browser).
SKIPPED = {"demo", "sandbox", "worker", "serve", "init", "shop bind"}
HOSTILE = ("bad\x00value", "9" * 400, "名字\u202e../../etc/passwd")


def leaf_commands() -> list[tuple[str, list[argparse.Action]]]:
    found = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            needed = [
                a
                for a in parser._actions
                if a.dest != "help" and (not a.option_strings or a.required)
            ]
            found.append((" ".join(path), needed))
            return
        for name, sub in subs[0].choices.items():
            walk(sub, [*path, name])

    walk(build_parser(), [])
    return [c for c in found if c[0] not in SKIPPED]


def argv_for(command: str, needed: list[argparse.Action], value: str) -> list[str]:
    argv = command.split()
    for action in needed:
        if action.option_strings:
            argv += [f"{action.option_strings[0]}={value}"]
        else:
            argv.append(value)
    return argv


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("hostile-cli")
    env = {
        "ORDERHUB_DATA_DIR": str(home / "data"),
        "ORDERHUB_CONFIG": str(home / "absent.toml"),
        "ORDERHUB_ADMIN_PASSWORD": "correct-horse-battery",
        "ORDERHUB_AUTH_ARGON2_TIME_COST": "1",
        "ORDERHUB_AUTH_ARGON2_MEMORY_KIB": "1024",
        "ORDERHUB_AUTH_ARGON2_PARALLELISM": "1",
        "ORDERHUB_PLUGINS_ONLY": "orderhub",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert main(["init", "--org", "acme"]) == 0
    return env


@pytest.mark.parametrize(
    ("command", "needed"), leaf_commands(), ids=[c for c, _ in leaf_commands()]
)
def test_hostile_arguments_get_an_answer_not_a_traceback(
    command: str,
    needed: list[argparse.Action],
    installation: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for name, value in installation.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.chdir(tmp_path)  # paths given as arguments land here, not in the repo
    problems = []
    for value in HOSTILE:
        argv = argv_for(command, needed, value)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing the value: a usage error
            code = exc.code
        except BaseException as exc:
            problems.append(f"{argv!r}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            continue
        err = capsys.readouterr().err
        lines = [
            line for line in err.strip().splitlines() if not line.startswith("orderhub: warning")
        ]
        if "Traceback" in err:
            problems.append(f"{argv!r}: traceback on stderr")
        elif code == 1 and (len(lines) != 1 or not lines[0].startswith("orderhub: error:")):
            problems.append(f"{argv!r}: exit 1 with {len(lines)} lines: {lines[:3]}")
        elif code not in (0, 1, 2, 3):
            problems.append(f"{argv!r}: exit {code}")
    assert not problems, "\n".join(problems)
