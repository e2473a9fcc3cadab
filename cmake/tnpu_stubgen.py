"""Write the ``.pyi`` type stubs of the just-built ``tnpu._core`` (CMake runs this after the module links).

Usage: ``python tnpu_stubgen.py MODULE_FILE OUT_DIR``

The module file is loaded directly as ``tnpu._core`` under an empty stand-in ``tnpu`` package, so its classes carry
their real ``tnpu._core`` names while neither the real package (which imports numpy and the rest of ``tnpu``, absent
from an isolated build environment) nor an older installed core (an editable install's import hook) is involved. pybind11-stubgen runs with ``--exit-code``: a signature it cannot express fails the
build instead of shipping a stub with holes. The stubs land in ``OUT_DIR/tnpu/`` (``_core/__init__.pyi`` and one
``.pyi`` per submodule); CMake installs that directory's contents into the package.
"""

from __future__ import annotations

import enum
import importlib.machinery
import importlib.util
import re
import shutil
import sys
import types
from pathlib import Path


def load_core(module_file: Path) -> None:
    """Load MODULE_FILE as ``tnpu._core`` into ``sys.modules``, bypassing every import hook."""
    package = types.ModuleType("tnpu")
    package.__path__ = []  # nothing else of tnpu is importable from here
    sys.modules["tnpu"] = package
    loader = importlib.machinery.ExtensionFileLoader("tnpu._core", str(module_file))
    spec = importlib.util.spec_from_file_location("tnpu._core", module_file, loader=loader)
    if spec is None:
        raise ImportError(f"cannot load {module_file} as an extension module")
    core = importlib.util.module_from_spec(spec)
    sys.modules["tnpu._core"] = core
    loader.exec_module(core)


def _returns(func: object) -> str:
    """Return the return type in a pybind11 function's signature line (its docstring's first line), unprefixed."""
    first = (
        (getattr(func, "__doc__", None) or "").strip().splitlines()[0]
        if getattr(func, "__doc__", None)
        else ""
    )
    found = re.search(r"->\s*(.+)$", first)
    return found.group(1).strip().replace("tnpu._core.", "") if found else "typing.Any"


def _params(func: object) -> str:
    """Return the parameter list in a pybind11 function's signature line, module prefix dropped."""
    first = (getattr(func, "__doc__", None) or "").strip().splitlines()[0]
    found = re.search(r"\((.*)\)\s*->", first)
    return found.group(1).replace("tnpu._core.", "") if found else "*args: typing.Any"


def enum_stub(cls: type[enum.Enum]) -> list[str]:
    """Write the stub of a py::native_enum.

    Its members as values (pybind11-stubgen writes them as ClassVars, which type checkers do not read as enum
    members), its properties and its static methods with their signatures.
    """
    base = next(b for b in cls.__mro__[1:] if b.__module__ == "enum")
    lines = [f"class {cls.__name__}({base.__module__}.{base.__name__}):"]
    if cls.__doc__:
        lines.append(f'    """{cls.__doc__.strip()}"""')
    lines += [f"    {m.name} = {m.value!r}" for m in cls]
    for name, attr in vars(cls).items():
        if isinstance(attr, property) and attr.fget is not None:
            lines += ["    @property", f"    def {name}(self) -> {_returns(attr.fget)}: ..."]
        elif isinstance(attr, staticmethod):
            func = attr.__func__
            lines += ["    @staticmethod", f"    def {name}({_params(func)}) -> {_returns(func)}: ..."]
    return lines


def fix_native_enums(stub: Path, module: types.ModuleType) -> None:
    """Rewrite the class block of every native enum of MODULE in STUB (see enum_stub)."""
    text = stub.read_text().splitlines()
    for name, cls in vars(module).items():
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            continue
        start = next((i for i, line in enumerate(text) if line.startswith(f"class {name}(")), None)
        if start is None:
            continue
        end = start + 1
        while end < len(text) and (not text[end] or text[end].startswith((" ", "\t"))):
            end += 1
        text[start:end] = enum_stub(cls)
    stub.write_text("\n".join(text) + "\n")


def main(argv: list[str]) -> int:
    """Load the module, run pybind11-stubgen on it and check that the stubs exist."""
    if len(argv) != 2:
        print("usage: tnpu_stubgen.py MODULE_FILE OUT_DIR", file=sys.stderr)
        return 2
    module_file, out = Path(argv[0]), Path(argv[1])
    try:
        import pybind11_stubgen
    except ImportError:
        print(
            f"tnpu_stubgen: pybind11-stubgen is not installed for {sys.executable} "
            "(pip install pybind11-stubgen, or build with -Ccmake.define.TNPU_STUBS=OFF)",
            file=sys.stderr,
        )
        return 1
    shutil.rmtree(out, ignore_errors=True)
    load_core(module_file)
    try:
        pybind11_stubgen.main(["--exit-code", "-o", str(out), "tnpu._core"])
    except SystemExit as stop:  # --exit-code ends with sys.exit(1) on the first error it reports
        if stop.code not in (None, 0):
            print("tnpu_stubgen: pybind11-stubgen reported errors (above); no stubs written", file=sys.stderr)
            return 1
    stubs = sorted((out / "tnpu").rglob("*.pyi"))
    core_stub = out / "tnpu" / "_core" / "__init__.pyi"
    if core_stub.exists():
        fix_native_enums(core_stub, sys.modules["tnpu._core"])
    if not any(p.stem in {"_core", "__init__"} for p in stubs):
        print(f"tnpu_stubgen: no stub for tnpu._core under {out}", file=sys.stderr)
        return 1
    print("tnpu_stubgen: wrote", ", ".join(str(p.relative_to(out)) for p in stubs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
