"""VGG-16's 13 conv layers (forward, batch 1) on a 128 x 128 weight-stationary array: ideal memory, then memory.

Prints wall times and cycles per layer. Three cycle columns:
- ``scalesim``: the PE-array model alone on the whole layer (what ``tnpu layer-cycles`` prints; identical to
  SCALE-Sim's Total Cycles, see tests/test_compute_scalesim.py);
- ``ideal``: the whole pass (tiling to the buffer, DMA, engine) with ideal memory, SCALE-Sim's convention
  (total - 1); equal to ``scalesim`` when the layer fits the buffer as one tile;
- ``fixed``: the same pass with the fixed-latency memory at 17.1 GB/s (``--bandwidth-gbps``);
- ``dram``: the same pass with the cycle-level DRAM controller (``--dram``, default DDR4-2133: one x64 channel,
  17.06 GB/s, TNPU's bus); the stall, tile, traffic and mapping columns are this run's.

SCALE-Sim 3.0.0 needs 107 s for AlexNet's five conv layers at 128 x 128 on this machine (issue 4); the script also times
``tnpu layer-cycles`` on SCALE-Sim's own AlexNet topology (file reading included) at 128 x 128 and 32 x 32.

Usage: python benchmarks/bench_layers.py [--buffer-kib 4096] [--bandwidth-gbps 17.1] [--dram ddr4-2133]
       [--objective traffic|time]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import tnpu
from tnpu import _core
from tnpu.config import ArchConfig, BufferConfig, MemoryConfig, PeArrayConfig

# VGG-16 (config D): 224 x 224 input, 3x3 / stride 1 / pad 1 convolutions; (name, in_channels, out_channels, size)
VGG16 = [
    ("conv1_1", 3, 64, 224),
    ("conv1_2", 64, 64, 224),
    ("conv2_1", 64, 128, 112),
    ("conv2_2", 128, 128, 112),
    ("conv3_1", 128, 256, 56),
    ("conv3_2", 256, 256, 56),
    ("conv3_3", 256, 256, 56),
    ("conv4_1", 256, 512, 28),
    ("conv4_2", 512, 512, 28),
    ("conv4_3", 512, 512, 28),
    ("conv5_1", 512, 512, 14),
    ("conv5_2", 512, 512, 14),
    ("conv5_3", 512, 512, 14),
]


# AlexNet's five conv layers as SCALE-Sim's own topologies/conv_nets/alexnet.csv writes them (no padding).
ALEXNET_CSV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1,224,224,11,11,3,96,4,
Conv2,27,27,5,5,96,256,1,
Conv3,13,13,3,3,256,384,1,
Conv4,13,13,3,3,384,384,1,
Conv5,13,13,3,3,384,256,1,
"""

CFG = """[general]
run_name = bench
[architecture_presets]
ArrayHeight: {n}
ArrayWidth: {n}
IfmapSramSzkB: 6144
FilterSramSzkB: 6144
OfmapSramSzkB: 2048
Dataflow: {df}
[run_presets]
InterfaceBandwidth: CALC
"""


def alexnet_layer_cycles() -> None:
    """Time ``tnpu layer-cycles`` (file reading included) on AlexNet's conv layers, as SCALE-Sim would be run."""
    from tnpu.commands.layer_cycles import layer_cycles

    with tempfile.TemporaryDirectory() as tmp:
        topo = Path(tmp) / "alexnet.csv"
        topo.write_text(ALEXNET_CSV)
        for n in (128, 32):
            for df in ("os", "ws", "is"):
                cfg = Path(tmp) / f"a{n}_{df}.cfg"
                cfg.write_text(CFG.format(n=n, df=df))
                t0 = time.perf_counter()
                rows = layer_cycles(topo, cfg)
                wall = time.perf_counter() - t0
                total = sum(r["total_cycles"] for r in rows)
                print(f"  AlexNet conv1-5, {n}x{n} {df}: {total:>9d} cycles in {wall * 1e3:.2f} ms")


def layers() -> list[tuple[str, dict[str, int | str]]]:
    return [
        (
            name,
            {
                "kind": "conv",
                "n": 1,
                "c": c,
                "k": k,
                "h": hw,
                "w": hw,
                "r": 3,
                "s": 3,
                "pad_h": 1,
                "pad_w": 1,
            },
        )
        for name, c, k, hw in VGG16
    ]


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buffer-kib", type=int, default=4096, help="global buffer (default 4096 KiB)")
    parser.add_argument(
        "--bandwidth-gbps", type=float, default=17.1, help="fixed memory bandwidth (default 17.1)"
    )
    parser.add_argument(
        "--dram", default="ddr4-2133", help="DRAM preset or file for the DRAM run (default ddr4-2133)"
    )
    parser.add_argument(
        "--objective",
        choices=["traffic", "time"],
        default="traffic",
        help="mapping objective (default traffic)",
    )
    args = parser.parse_args()
    arch = ArchConfig(
        pu_c=PeArrayConfig(rows=128, cols=128, dataflow="ws"),
        buffer=BufferConfig(capacity_bytes=args.buffer_kib * 1024),
        memory=MemoryConfig(model="fixed", bandwidth_gbps=args.bandwidth_gbps, dram=args.dram),
        mapping_objective=args.objective,
    )
    dram_memory = MemoryConfig(model="dram", dram=args.dram)
    print(f"tnpu._core.build_type = {_core.build_type}")
    print(
        f"VGG-16 conv FP, 128x128 ws, {args.buffer_kib} KiB buffer, mapping objective {args.objective}; "
        f"fixed memory {args.bandwidth_gbps} GB/s; DRAM {args.dram}"
    )

    array = _core.PeArray(128, 128, "ws")
    scalesim, t_formula = timed(
        lambda: [
            array.gemm(int(layer["h"]) ** 2, 9 * int(layer["c"]), int(layer["k"])).scalesim_total_cycles
            for _name, layer in layers()
        ]
    )
    ideal, t_ideal = timed(
        lambda: [
            tnpu.simulate_layer(layer, "FP", arch, memory="ideal", name=name) for name, layer in layers()
        ]
    )
    fixed, t_fixed = timed(
        lambda: [tnpu.simulate_layer(layer, "FP", arch, name=name) for name, layer in layers()]
    )
    dram, t_dram = timed(
        lambda: [
            tnpu.simulate_layer(layer, "FP", arch, memory=dram_memory, name=name) for name, layer in layers()
        ]
    )

    print(
        f"{'layer':8s} {'scalesim':>9s} {'ideal':>9s} {'fixed':>9s} {'dram':>9s} {'stall%':>7s} {'tiles':>5s} "
        f"{'DRAM MB':>8s} {'requests':>9s}  mapping (tile_m, tile_k, tile_n, order)"
    )
    same = 0
    for (name, _layer), s, i, f, d in zip(layers(), scalesim, ideal, fixed, dram, strict=True):
        same += s == i.scalesim_total_cycles
        mp = d.mapping
        print(
            f"{name:8s} {s:9d} {i.scalesim_total_cycles:9d} {f.scalesim_total_cycles:9d} "
            f"{d.scalesim_total_cycles:9d} {100 * d.stall_cycles / d.total_cycles:6.1f}% {d.tiles:5d} "
            f"{(d.dram_bytes_read + d.dram_bytes_written) / 1e6:8.2f} {d.dram_requests:9d}  "
            f"({mp['tile_m']}, {mp['tile_k']}, {mp['tile_n']}, {mp['order']})"
        )
    totals = [sum(scalesim)] + [sum(r.scalesim_total_cycles for r in run) for run in (ideal, fixed, dram)]
    print(f"{'total':8s} " + " ".join(f"{t:9d}" for t in totals))
    print(
        f"ideal-memory cycles identical to the SCALE-Sim model on {same}/13 layers"
        + (" (the others are tiled along M to fit the buffer)" if same < 13 else "")
    )
    print(
        f"wall: PE-array model {t_formula * 1e3:.2f} ms, ideal memory {t_ideal:.3f} s, "
        f"fixed memory {t_fixed:.3f} s ({sum(r.events for r in fixed):,} events), "
        f"DRAM {t_dram:.3f} s ({sum(r.events for r in dram):,} events)"
    )
    print(
        "tnpu layer-cycles on SCALE-Sim's AlexNet topology (SCALE-Sim 3.0.0 here: 107 s at 128x128, 6 min at 32x32):"
    )
    alexnet_layer_cycles()


if __name__ == "__main__":
    main()
