"""The layering of the C++ core (cmake/tnpu_layers.cmake): an area includes only itself and the areas before it
(sim < mem < trace < compute < sched < workload < accelerator). The build runs the same check at configure time;
this test runs it as a CMake script on the tree and on a copy with a wrong include, which it must reject.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "cmake" / "tnpu_layers.cmake"
CMAKE = shutil.which("cmake")

pytestmark = [
    pytest.mark.skipif(CMAKE is None, reason="cmake is not on PATH"),
    pytest.mark.skipif(not SCRIPT.exists(), reason="not a source checkout (cmake/tnpu_layers.cmake missing)"),
]


def check(root: Path) -> subprocess.CompletedProcess[str]:
    assert CMAKE is not None
    return subprocess.run(
        [CMAKE, f"-DTNPU_ROOT={root}", "-P", str(SCRIPT)], capture_output=True, text=True, check=False
    )


def copy_core(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "cpp" / "include", tmp_path / "cpp" / "include")
    shutil.copytree(ROOT / "cpp" / "src", tmp_path / "cpp" / "src")
    return tmp_path


def test_the_tree_is_layered():
    r = check(ROOT)
    assert r.returncode == 0, r.stderr
    assert (
        "tnpu layering: ok (sim < mem < trace < compute < sched < workload < accelerator)"
        in r.stdout + r.stderr
    )


def test_an_upward_include_is_rejected(tmp_path):
    root = copy_core(tmp_path)
    victim = root / "cpp" / "src" / "mem" / "sram_buffer.cpp"
    victim.write_text('#include "tnpu/workload/layer.hpp"\n' + victim.read_text())
    header = root / "cpp" / "include" / "tnpu" / "phase.hpp"  # a top-level header: the lowest area
    header.write_text('#include "tnpu/sched/scheduler.hpp"\n' + header.read_text())
    r = check(root)
    assert r.returncode != 0
    assert "cpp/src/mem/sram_buffer.cpp: area 'mem' includes tnpu/workload/layer.hpp" in r.stderr
    assert "cpp/include/tnpu/phase.hpp: area 'sim' includes tnpu/sched/scheduler.hpp" in r.stderr


def test_a_folder_outside_the_order_is_rejected(tmp_path):
    root = copy_core(tmp_path)
    (root / "cpp" / "src" / "energy").mkdir()
    r = check(root)
    assert r.returncode != 0
    assert "cpp/src/energy: a folder that is no area" in r.stderr


def test_each_area_is_its_own_static_library():
    text = (ROOT / "cpp" / "src" / "CMakeLists.txt").read_text()
    assert "add_library(tnpu_${area} STATIC)" in text
    for area in ("sim", "mem", "trace", "compute", "sched", "workload", "accelerator"):
        assert f"tnpu_{area} PRIVATE" in (ROOT / "cpp" / "src" / area / "CMakeLists.txt").read_text(), area


def test_workload_builds_no_machine():
    """`workload` plans work (shapes, costs, tiles, task graphs) and reads the models' configs; the machine (DRAM,
    DMA engines, engines, buffers, tile pipelines) is assembled by the accelerator alone. No class under workload/ is
    a kernel Module or EventHandler, and no file there names a model's class (its Config struct is data).
    """
    import re

    files = sorted((ROOT / "cpp" / "include" / "tnpu" / "workload").glob("*.hpp"))
    files += sorted((ROOT / "cpp" / "src" / "workload").glob("*.cpp"))
    assert files
    derives = re.compile(r"class\s+\w+[^;{]*:\s*[^{;]*\b(Module|EventHandler)\b")
    models = re.compile(
        r"\b(DramController|DramChannel|DmaEngine|PeArray|VectorUnit|TilePipeline)\b(?!Config)"
    )
    for f in files:
        text = f.read_text()
        assert not derives.search(text), f"{f.relative_to(ROOT)} defines a simulation module"
        m = models.search(text)
        assert m is None, f"{f.relative_to(ROOT)} names the model class {m.group(1) if m else ''}"
