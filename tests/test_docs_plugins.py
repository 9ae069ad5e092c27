"""docs/plugins.md documents every hook, contract method and boundary type, and its examples
run (datasette's test_plugin_hooks_are_documented, applied to contracts too).

Signatures are compared with the source, read with `ast`, ignoring whitespace: a changed
signature fails here until the documentation says the same.
"""

from __future__ import annotations

import ast
import dataclasses
import doctest
import enum
import importlib
import inspect
import re
from pathlib import Path

import pytest

import core.contracts
from core import hookspecs
from core.contracts import CONTRACTS, Contract
from core.contracts.base import PluginServices
from core.plugins.host import hook_names

DOC = Path(__file__).parent.parent / "docs" / "plugins.md"
HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.MULTILINE)


def sections() -> dict[str, str]:
    """Heading text → the text up to the next heading (of any level)."""
    text = DOC.read_text(encoding="utf-8")
    matches = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[match.group(2).strip()] = text[match.end() : end]
    return out


def section_for(name: str) -> str:
    """The section whose heading is exactly `` `name` ``."""
    found = sections().get(f"`{name}`")
    assert found is not None, f"docs/plugins.md has no heading `{name}`"
    return found


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def source_signatures(cls_or_module: object) -> dict[str, str]:
    """`{name: "def name(args) -> ret"}` for public functions (and __init__) in the source."""
    if inspect.ismodule(cls_or_module):
        body = ast.parse(inspect.getsource(cls_or_module)).body
    else:
        body = ast.parse(inspect.getsource(cls_or_module)).body[0].body  # type: ignore[attr-defined]
    return {
        node.name: f"def {node.name}({ast.unparse(node.args)}) -> {ast.unparse(node.returns)}"
        for node in body
        if isinstance(node, ast.FunctionDef)
        and (not node.name.startswith("_") or node.name == "__init__")
    }


def contract_methods() -> list[tuple[str, str]]:
    """(Class.method, signature) for every public member each contract defines; overrides
    of a base method with the base's own signature are documented once, on the base."""
    base = source_signatures(Contract)
    out = [(f"Contract.{name}", sig) for name, sig in base.items()]
    out += [(f"PluginServices.{n}", s) for n, s in source_signatures(PluginServices).items()]
    for contract in CONTRACTS.values():
        for name, sig in source_signatures(contract).items():
            if base.get(name) == sig:
                continue
            out.append((f"{contract.__name__}.{name}", sig))
    return out


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    signature = source_signatures(hookspecs)[hook]
    assert squash(signature) in squash(section_for(hook)), (
        f"docs/plugins.md: the `{hook}` section must show `{signature}`"
    )


@pytest.mark.parametrize(("member", "signature"), contract_methods())
def test_every_contract_method_is_documented_with_its_signature(
    member: str, signature: str
) -> None:
    assert squash(signature) in squash(section_for(member)), (
        f"docs/plugins.md: the `{member}` section must show `{signature}`"
    )


@pytest.mark.parametrize("contract", [Contract, *CONTRACTS.values()], ids=lambda c: c.__name__)
def test_every_contract_class_has_a_section(contract: type) -> None:
    section = section_for(contract.__name__)
    flags = [a for a in vars(contract) if a.startswith("SUPPORTS_")]
    for flag in flags:
        assert flag in section, f"the `{contract.__name__}` section must explain {flag}"


def boundary_types() -> list[type]:
    names = [getattr(core.contracts, n) for n in core.contracts.__all__]
    return [
        t
        for t in names
        if isinstance(t, type) and (dataclasses.is_dataclass(t) or issubclass(t, enum.Enum))
    ]


@pytest.mark.parametrize("data_type", boundary_types(), ids=lambda t: t.__name__)
def test_every_boundary_type_and_field_is_documented(data_type: type) -> None:
    section = section_for(data_type.__name__)
    if dataclasses.is_dataclass(data_type):
        names = [f.name for f in dataclasses.fields(data_type)]
    else:
        names = [m.value for m in data_type]  # type: ignore[attr-defined]
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", section)]
    assert not missing, f"the `{data_type.__name__}` section does not mention {missing}"


def test_the_doc_examples_run() -> None:
    """Every ```python block with `>>>` lines runs as a doctest."""
    text = DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if ">>>" in b]
    assert blocks, "docs/plugins.md must keep at least one doc-tested example"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {"__name__": "docs_plugins"}  # examples share state, in order
    for number, block in enumerate(blocks, 1):
        test = parser.get_doctest(block, globs, f"plugins.md example {number}", str(DOC), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # DocTest works on a copy; carry names into the next example
    results = runner.summarize(verbose=False)
    assert results.attempted > 10
    assert results.failed == 0, "a docs/plugins.md example failed (see the output above)"


def test_the_quick_start_module_compiles_and_registers() -> None:
    """The quick-start plugin module is valid Python with a real hook implementation."""
    text = DOC.read_text(encoding="utf-8")
    [module] = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if "my_sms" in b]
    namespace: dict[str, object] = {"__name__": "my_sms"}
    exec(compile(module, "my_sms/__init__.py", "exec"), namespace)
    from core.config import PluginSettings
    from core.plugins.host import PluginHost

    host = PluginHost(PluginSettings(only=("orderhub",)))
    plugin = type(
        "MySms", (), {"register_notifiers": staticmethod(namespace["register_notifiers"])}
    )
    host.register(plugin, "sms")
    assert host.notifiers()["sms"].capabilities() == {"direct_delivery": True}


def test_entry_point_snippet_matches_the_builtin_registration() -> None:
    pyproject = importlib.import_module("tomllib").loads(
        (DOC.parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    )
    builtins = pyproject["project"]["entry-points"]["orderhub"]
    text = DOC.read_text(encoding="utf-8")
    assert "[project.entry-points.orderhub]" in text
    for name, target in builtins.items():
        assert f'{name} = "{target}"' in text, f"docs should show the built-in {name} entry point"
