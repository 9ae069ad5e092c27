"""Layering is enforced, not hoped for: import-linter contracts, and core loads no UI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    """Run `lint-imports` (the documented interface; its Python API changes between releases)."""
    from importlinter import api

    contracts = api.read_configuration(str(ROOT / "pyproject.toml"))["contracts_options"]
    names = {c["name"] for c in contracts}
    assert {
        "core imports no front end, plugin or UI/web framework",
        "plugins reach core only through its plugin API",
        "core is layered: domains over services over the model and the plugin API",
        "front ends reach the database only through core's services",
        "no import cycles inside core's packages",
    } <= names, names

    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency: pip install -e '.[dev]'"
    done = subprocess.run(
        [lint_imports, "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in done.stdout


def test_importing_core_does_not_load_front_ends() -> None:
    """`core` and its models and plugin host import neither Textual/Starlette nor our UIs."""
    code = (
        "import json, sys\n"
        "import core, core.app, core.startup, core.models, core.plugins.host\n"
        "banned = ('textual', 'starlette', 'uvicorn', 'api', 'tui', 'cli', 'plugins')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in banned)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
