"""What scripts/leakcheck.sh runs under valgrind: small runs of each model through the public API, twice each.

Keep every step small (valgrind runs it some 30x slower) and deterministic. Add a step per new model.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import sys
from pathlib import Path

import tnpu
from tnpu.errors import ConfigError, TraceFormatError

ROOT = Path(__file__).resolve().parents[1]
CONV = {"kind": "conv", "n": 1, "c": 16, "k": 16, "h": 8, "w": 8, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}


def dram_replay() -> None:
    """Replay a DRAM trace through the cycle-level controller (reader, controller, statistics)."""
    r = tnpu.replay_dram(ROOT / "traces" / "sequential.dramsim3.trace", dram="ddr4-2400")
    assert r.requests > 0


def layer_simulation() -> None:
    """Run one layer pass (FP and GD) through the DMA and the DRAM controller."""
    for phase in ("FP", "GD"):
        assert tnpu.simulate_layer(CONV, phase, memory="dram").total_cycles > 0


def error_paths(tmp: Path) -> None:
    """Exceptions thrown from C++ (bad trace line, bad config) must not leak what was built before them."""
    bad = tmp / "bad.trace"
    bad.write_text("0x40 READ 1\n0x80 JUMP 2\n")
    with contextlib.suppress(TraceFormatError):
        tnpu.replay_dram(bad, dram="ddr4-2400")
    with contextlib.suppress(ConfigError):
        tnpu.simulate_layer({**CONV, "c": 0}, "FP")


def full_simulation() -> None:
    """Run a small full simulation of the accelerator: LeNet-5, batch 2, on each preset, through the DRAM model.

    Also an error path (a buffer too small for any tile) that throws from inside the C++ simulation.
    """
    for arch in ("tnpu", "dadiannao", "dnpu"):
        tnpu.simulate("lenet5", arch, batch=2, overrides={"memory.model": "dram"})
    with contextlib.suppress(tnpu.ConfigError):
        tnpu.simulate("lenet5", "tnpu", batch=1, overrides={"buffer.capacity_bytes": 64})


def import_everything() -> None:
    """Import numpy, the standard modules tnpu imports lazily, and every tnpu module, before any step runs.

    Why: numpy (and a few standard modules) never free some objects made at import, and valgrind reports a block by
    where it was first malloc'd. CPython keeps freed floats, tuples and lists on free lists and hands them out again,
    so an import that happens *after* a step has freed its objects builds its never-freed objects in blocks first
    malloc'd by tnpu, and valgrind blames tnpu (seen: a float numpy keeps at exit, reported as allocated in
    stats_to_list, once tnpu imported numpy lazily). Importing first gives those objects blocks of their own.
    """
    import numpy  # noqa: F401

    for name in ("csv", "difflib", "hashlib", "json", "tomllib", "zipfile", "numpy.ma"):
        importlib.import_module(name)
    for mod in pkgutil.walk_packages(tnpu.__path__, "tnpu."):
        if mod.name.endswith(".__main__"):  # importing it runs the CLI
            continue
        try:
            importlib.import_module(mod.name)
        except ModuleNotFoundError as e:  # an optional extra (torch, onnx, matplotlib, ...) not installed
            if e.name is not None and e.name.split(".")[0] == "tnpu":
                raise


def main() -> None:
    """Run every step twice (a leak per run shows up as twice the blocks)."""
    import tempfile

    import_everything()
    with tempfile.TemporaryDirectory() as d:
        for _ in range(2):
            dram_replay()
            layer_simulation()
            error_paths(Path(d))
            full_simulation()
    if "--leak" in sys.argv:  # scripts/leakcheck.sh --self-test: the check must catch this
        from tnpu import _core

        _core._testing.leak_for_leakcheck(4096)
    print("leakcheck workload done", file=sys.stderr)


if __name__ == "__main__":
    main()
