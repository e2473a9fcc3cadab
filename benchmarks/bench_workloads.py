"""Time the workload pipeline: build a training graph, validate it in C++, write and read compute traces.

Run: python benchmarks/bench_workloads.py [NETWORK] [BATCH]   (default: resnet50 50)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tnpu import _core
from tnpu.workloads import TrainingGraph, get_network, read_compute_trace, write_compute_trace


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "resnet50"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    print(f"tnpu._core build type: {_core.build_type}")
    net, t_net = timed(lambda: get_network(name))
    graph, t_graph = timed(lambda: TrainingGraph(net, batch=batch))
    arrays = graph.to_arrays()
    core, t_core = timed(arrays.to_core)
    print(f"{name}, batch {batch}: {len(arrays):,} tasks, {arrays.dep_ids.size:,} dependencies")
    print(f"  build network      {t_net * 1e3:8.1f} ms")
    print(f"  build graph        {t_graph * 1e3:8.1f} ms")
    print(
        f"  validate in C++    {t_core * 1e3:8.1f} ms   (depth of the graph: {int(core.depth().max())} tasks)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".npz"):
            path = Path(tmp) / f"trace{suffix}"
            _, t_write = timed(lambda path=path: write_compute_trace(arrays, path))
            back, t_read = timed(lambda path=path: read_compute_trace(path))
            assert back.equal(arrays)
            size = path.stat().st_size
            print(
                f"  {suffix[1:]:4s} write {t_write * 1e3:7.1f} ms, read+validate {t_read * 1e3:7.1f} ms, {size:,} bytes"
            )


if __name__ == "__main__":
    main()
