"""What an install of tnpu-sim ships: type stubs for the compiled core and the PEP 561 marker; and, in CI's run
against the built wheel, that the tests import that installed wheel rather than ``python/tnpu`` of the tree."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import tnpu
from tnpu import _core

REPO = Path(__file__).resolve().parents[1]
# Where the compiled module is installed (site-packages/tnpu, also for an editable install).
CORE_DIR = Path(_core.__file__).resolve().parent
STUB = CORE_DIR / "_core" / "__init__.pyi"

# Sanitizer builds do not generate stubs by default (their module loads only under the preloaded sanitizer runtime;
# CMakeLists.txt, TNPU_STUBS); every other build does, or fails.
needs_stubs = pytest.mark.skipif(
    bool(_core.sanitizers),
    reason=f"a sanitizer build ({_core.sanitizers}) generates no stubs (TNPU_STUBS=OFF)",
)


def stub_names(path: Path) -> dict[str, ast.AST]:
    """Top-level names a stub defines: classes, functions and annotated or assigned names."""
    names: dict[str, ast.AST] = {}
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            names.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
    return names


def method_args(cls: ast.AST, method: str) -> list[str]:
    assert isinstance(cls, ast.ClassDef)
    defs = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method]
    assert defs, f"{cls.name}.{method} is not in the stub"
    return [a.arg for a in defs[0].args.args + defs[0].args.kwonlyargs]


@needs_stubs
def test_core_stub_is_installed_beside_the_module():
    assert STUB.is_file(), f"no stub for tnpu._core at {STUB}"
    assert (CORE_DIR / "_core" / "_testing.pyi").is_file()
    # PEP 561: the marker beside the stubs (an editable install's site-packages/tnpu holds only the compiled files)
    # and in the package itself.
    assert (CORE_DIR / "py.typed").is_file()
    assert (Path(tnpu.__file__).parent / "py.typed").is_file()


@needs_stubs
def test_core_stub_names_the_known_api():
    names = stub_names(STUB)
    for name in ("Simulator", "Clock", "DramController", "DramSpec", "FixedLatencyMemory", "LayerShape"):
        assert isinstance(names.get(name), ast.ClassDef), name
    for name in ("simulate_training", "simulate_pass", "run_schedule", "scan_dram_trace", "lower"):
        assert isinstance(names.get(name), ast.FunctionDef), name
    assert {"run", "step", "call_at", "stats_rows"} <= {
        n.name for n in names["Simulator"].body if isinstance(n, ast.FunctionDef)
    }
    assert "until" in method_args(names["Simulator"], "run")
    # Errors keep their Python bases; member types are named, not left as raw C++ names.
    assert ast.unparse(names["ConfigError"]).startswith("class ConfigError(ValueError)")
    assert "tnpu::" not in STUB.read_text()


@needs_stubs
def test_core_stub_covers_every_public_name():
    # A stub generated from the module it is installed with: nothing public is missing (a stale stub would be).
    public = {n for n in dir(_core) if not n.startswith("_")}
    missing = public - set(stub_names(STUB))
    assert not missing, f"tnpu._core names without a stub: {sorted(missing)}"


def test_tests_import_the_expected_install():
    # CI's run against the built wheel sets TNPU_EXPECT_SITE_PACKAGES to the site-packages of the virtualenv the
    # wheel is installed in (outside the source tree): the package and its core must come from there.
    expected = os.environ.get("TNPU_EXPECT_SITE_PACKAGES")
    if not expected:
        pytest.skip("only in CI's installed-wheel run (TNPU_EXPECT_SITE_PACKAGES names its site-packages)")
    site = Path(expected).resolve()
    assert not site.is_relative_to(REPO), f"{site} is inside the source tree"
    for module in (tnpu, _core):
        path = Path(module.__file__ or "").resolve()
        assert path.is_relative_to(site), f"{module.__name__} imported from {path}, not from {site}"
        assert not path.is_relative_to(REPO), f"{module.__name__} imported from the source tree: {path}"
