"""Loading plugins through entry points: the example third-party package, `only`,
`disabled`, broken plugins, duplicates, tracing, and no stray plugins in tests.

The example package is "installed" without pip: its pyproject.toml is turned into a
`*.dist-info` directory in a temporary site directory on `sys.path`, which is exactly what
`importlib.metadata` reads for a real installation.
"""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import PluginSettings
from core.contracts import Notification
from core.errors import ConfigurationError, DeviceNotFound, PluginError
from core.plugins.host import PluginHost

EXAMPLE_DIR = Path(__file__).parent / "example_plugin"
BUILTIN_ONLY = PluginSettings(only=("orderhub",))
WITH_EXAMPLE = PluginSettings(only=("orderhub", "orderhub-example-plugin"))


def write_dist(site: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """Create installed-package metadata for `name` with `[orderhub]` entry points."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[orderhub]", *(f"{k} = {v}" for k, v in entry_points.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site directory on sys.path with the example plugin "installed" from its pyproject."""
    project = tomllib.loads((EXAMPLE_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    site_dir = tmp_path / "site"
    write_dist(
        site_dir,
        project["project"]["name"],
        project["project"]["version"],
        project["project"]["entry-points"]["orderhub"],
    )
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    monkeypatch.syspath_prepend(str(site_dir))
    yield site_dir
    for module in [m for m in sys.modules if m.startswith(("orderhub_example", "broken_"))]:
        del sys.modules[module]


def loaded_host(settings: PluginSettings) -> PluginHost:
    host = PluginHost(settings)
    host.load()
    return host


# ---------------------------------------------------------------- the entry-point path


def test_example_plugin_loads_with_its_distribution_and_version(site: Path) -> None:
    host = loaded_host(WITH_EXAMPLE)
    assert host.failed == []
    assert set(host.notifiers()) == {"log", "webhook", "email", "example-file"}
    assert "example-file" in host.printer_drivers()  # next to the built-in drivers
    rows = {(r.kind, r.name): r for r in host.describe()}
    driver = rows[("printer_driver", "example-file")]
    assert (driver.distribution, driver.distribution_version) == (
        "orderhub-example-plugin",
        "1.2.0",
    )
    assert driver.version == "1.2.0"  # the class declares none: its distribution's version
    assert driver.plugin == "example"
    assert driver.capabilities == {
        "discovery": False,
        "status": False,
        "languages": ["escpos", "tspl", "zpl"],
    }
    assert rows[("notifier", "log")].distribution == "orderhub"


def test_example_classes_work_as_their_contracts_say(site: Path, tmp_path: Path) -> None:
    host = loaded_host(WITH_EXAMPLE)
    outbox = tmp_path / "outbox.jsonl"
    notifier = host.notifiers()["example-file"]({"path": str(outbox)}, None)
    notifier.send(
        Notification("ops@example.com", "hello", "code 123456", org_id=7, kind="register")
    )
    assert json.loads(outbox.read_text(encoding="utf-8"))["body"] == "code 123456"
    with pytest.raises(ConfigurationError, match="path"):
        host.notifiers()["example-file"]({}, None).send(Notification("a", "b", "c"))

    capture = tmp_path / "labels.bin"
    with host.printer_drivers()["example-file"]({"path": str(capture)}) as driver:
        driver.write(b"SIZE 76 mm,130 mm\r\nPRINT 1\r\n")
    assert capture.read_bytes().startswith(b"SIZE 76 mm")
    with pytest.raises(DeviceNotFound, match="nowhere"):
        host.printer_drivers()["example-file"]({"path": str(tmp_path / "nowhere" / "x")}).open()


def test_only_matches_normalised_distribution_names(site: Path) -> None:
    host = loaded_host(PluginSettings(only=("Orderhub_Example.Plugin",)))
    assert set(host.notifiers()) == {"example-file"}


def test_only_orderhub_keeps_the_third_party_plugin_out(site: Path) -> None:
    host = loaded_host(BUILTIN_ONLY)
    assert set(host.notifiers()) == {"log", "webhook", "email"}
    assert "example-file" not in host.printer_drivers()
    assert {r.distribution for r in host.loaded} == {"orderhub"}
    assert "orderhub_example" not in sys.modules  # never even imported


def test_disabled_skips_entry_points_by_name(site: Path) -> None:
    host = loaded_host(PluginSettings(only=WITH_EXAMPLE.only, disabled=("example",)))
    assert set(host.notifiers()) == {"log", "webhook", "email"}
    assert host.failed == []
    host = loaded_host(PluginSettings(only=WITH_EXAMPLE.only, disabled=("notifier-log",)))
    assert set(host.notifiers()) == {"example-file", "webhook", "email"}


def test_unknown_names_in_only_and_disabled_are_warned_about(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="orderhub.plugins"):
        loaded_host(PluginSettings(only=("orderhub", "orderhub-typo"), disabled=("nope",)))
    assert "'orderhub-typo'" in caplog.text
    assert "'nope'" in caplog.text


def test_app_fixture_loads_builtin_plugins_only(site: Path, app) -> None:
    """The test settings keep stray installed plugins out, even one that is on sys.path."""
    assert {r.distribution for r in app.plugins.loaded} == {"orderhub"}
    assert app.plugins.failed == []
    assert "example-file" not in app.plugins.notifiers()


def test_load_is_idempotent(site: Path) -> None:
    host = loaded_host(WITH_EXAMPLE)
    before = [r.name for r in host.loaded]
    host.load()
    assert [r.name for r in host.loaded] == before
    assert {"example", "notifier-log"} <= set(before)


# ---------------------------------------------------------------- broken plugins


def test_a_plugin_that_cannot_import_is_listed_as_failed(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_dist(site, "orderhub-broken", "0.3.0", {"broken": "broken_missing_module"})
    with caplog.at_level(logging.ERROR, logger="orderhub.plugins"):
        host = loaded_host(PluginSettings(only=(*WITH_EXAMPLE.only, "orderhub-broken")))
    assert set(host.notifiers()) == {
        "log",
        "webhook",
        "email",
        "example-file",
    }  # the others still load
    [failed] = host.failed
    assert isinstance(failed.error, PluginError)
    message = str(failed.error)
    assert "'broken'" in message and "orderhub-broken 0.3.0" in message
    assert "ModuleNotFoundError" in message and "broken_missing_module" in message
    assert message in caplog.text
    [row] = [r for r in host.describe() if r.kind == "(failed)"]
    assert (row.name, row.distribution, row.error) == ("broken", "orderhub-broken", message)


def test_a_plugin_that_raises_on_import_is_listed_as_failed(site: Path) -> None:
    (site / "broken_raises.py").write_text("raise RuntimeError('no licence key')\n")
    write_dist(site, "orderhub-raises", "1.0", {"raises": "broken_raises"})
    host = loaded_host(PluginSettings(only=("orderhub-raises",)))
    [failed] = host.failed
    assert "RuntimeError: no licence key" in str(failed.error)
    assert "'raises'" in str(failed.error)


def test_a_plugin_breaking_its_contract_is_failed_and_its_hooks_removed(site: Path) -> None:
    (site / "broken_contract.py").write_text(
        "from core.contracts import Notifier\n"
        "from core.hookspecs import hookimpl\n"
        "class Half(Notifier):\n"
        "    name = 'half'\n"
        "@hookimpl\n"
        "def register_notifiers():\n"
        "    return [Half]\n"
        "@hookimpl\n"
        "def alert_raised(alert):\n"
        "    raise AssertionError('must not be called')\n"
    )
    write_dist(site, "orderhub-half", "1.0", {"half": "broken_contract"})
    host = loaded_host(PluginSettings(only=("orderhub-half",)))
    [failed] = host.failed
    assert "does not implement send" in str(failed.error)
    assert host.notifiers() == {}
    assert host.pm.hook.alert_raised.get_hookimpls() == []


def test_two_plugins_with_the_same_entry_point_name(site: Path) -> None:
    (site / "broken_twin.py").write_text("")
    write_dist(site, "orderhub-twin", "1.0", {"example": "broken_twin"})
    host = loaded_host(PluginSettings(only=(*WITH_EXAMPLE.only, "orderhub-twin")))
    [failed] = host.failed
    assert "already taken" in str(failed.error)
    assert "orderhub-twin" in str(failed.error) and "orderhub-example-plugin" in str(failed.error)


# ---------------------------------------------------------------- duplicates and tracing


def test_duplicate_class_names_name_both_plugins(site: Path) -> None:
    (site / "broken_dupe.py").write_text(
        "from core.contracts import Notifier\n"
        "from core.hookspecs import hookimpl\n"
        "class Log(Notifier):\n"
        "    name = 'log'\n"
        "    def send(self, notification):\n"
        "        pass\n"
        "@hookimpl\n"
        "def register_notifiers():\n"
        "    return [Log]\n"
    )
    write_dist(site, "orderhub-dupe", "2.0", {"dupe": "broken_dupe"})
    host = loaded_host(PluginSettings(only=("orderhub", "orderhub-dupe")))
    with pytest.raises(PluginError) as caught:
        host.notifiers()
    message = str(caught.value)
    assert "plugins.notifiers.log.LogNotifier" in message and "broken_dupe.Log" in message
    assert "orderhub-dupe 2.0" in message and "orderhub 0.1.0" in message
    flagged = [r for r in host.describe() if r.name == "log"]
    assert len(flagged) == 2 and all("also named 'log'" in r.error for r in flagged)


def test_trace_env_logs_hook_calls(
    site: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ORDERHUB_TRACE_PLUGINS", "1")
    with caplog.at_level(logging.DEBUG, logger="orderhub.plugins.trace"):
        host = loaded_host(WITH_EXAMPLE)
        host.pm.hook.register_notifiers()  # a direct pluggy call is traced by pluggy itself
    traced = [r.getMessage() for r in caplog.records if r.name == "orderhub.plugins.trace"]
    assert any("register_notifiers → example" in line for line in traced)
    assert any(line.strip().startswith("register_notifiers [hook]") for line in traced)
    assert host.tracing


def test_tracing_is_off_by_default_and_on_by_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("ORDERHUB_TRACE_PLUGINS", raising=False)
    with caplog.at_level(logging.DEBUG, logger="orderhub.plugins.trace"):
        loaded_host(BUILTIN_ONLY)
        assert not [r for r in caplog.records if r.name == "orderhub.plugins.trace"]
        host = loaded_host(PluginSettings(only=("orderhub",), trace=True))
    assert host.tracing
    assert [r for r in caplog.records if r.name == "orderhub.plugins.trace"]
