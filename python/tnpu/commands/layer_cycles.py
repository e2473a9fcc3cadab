"""``tnpu layer-cycles``: SCALE-Sim's COMPUTE_REPORT, per layer, from SCALE-Sim's own topology and config files.

Reads SCALE-Sim's own topology CSV and ``.cfg`` and prints, per layer, what its COMPUTE_REPORT.csv gives: total
cycles, stall cycles, overall utilisation, mapping efficiency and compute utilisation, from the same closed-form
fold model (identical numbers). Stall cycles are 0: this is compute with ideal memory, SCALE-Sim's result with
``InterfaceBandwidth: CALC``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tnpu import _core
from tnpu.commands._args import add_command
from tnpu.scalesim import read_config, read_topology

EXAMPLES = """\
examples:
  tnpu layer-cycles --topology topologies/conv_nets/alexnet.csv --config configs/scale.cfg
  tnpu layer-cycles --topology layers.csv --config array32x32_ws.cfg --json
  tnpu layer-cycles -c configs/scale.cfg -t topologies/layers.csv -l topologies/layout.csv   (SCALE-Sim's flags)
"""

#: Column names of SCALE-Sim's COMPUTE_REPORT.csv, in order, with the JSON key of each.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("LayerID", "layer"),
    ("Total Cycles", "total_cycles"),
    ("Stall Cycles", "stall_cycles"),
    ("Overall Util %", "overall_util_pct"),
    ("Mapping Efficiency %", "mapping_efficiency_pct"),
    ("Compute Util %", "compute_util_pct"),
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu layer-cycles``."""
    p = add_command(
        sub,
        "layer-cycles",
        "per-layer compute cycles of a SCALE-Sim topology and config (drop-in for COMPUTE_REPORT.csv)",
        __doc__,
        EXAMPLES,
    )
    p.add_argument(
        "--topology", "-t", required=True, type=Path, help="SCALE-Sim topology CSV (conv or 'Layer, M, N, K')"
    )
    p.add_argument(
        "--config", "-c", required=True, type=Path, help="SCALE-Sim .cfg (ArrayHeight, ArrayWidth, Dataflow)"
    )
    p.add_argument(
        "--layout",
        "-l",
        type=Path,
        help="SCALE-Sim 3 layout CSV: accepted so SCALE-Sim command lines work, not read (it changes no compute cycle)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per layer")
    p.set_defaults(run=run)


def layer_cycles(topology: Path | str, config: Path | str) -> list[dict[str, Any]]:
    """Return one COMPUTE_REPORT row per layer of ``topology`` on the array of ``config``.

    Parameters
    ----------
    topology, config
        SCALE-Sim's topology CSV and ``.cfg``.

    Returns
    -------
    list of dict
        Keys ``layer``, ``total_cycles``, ``stall_cycles``, ``overall_util_pct``, ``mapping_efficiency_pct``,
        ``compute_util_pct`` (percentages unrounded).
    """
    cfg = read_config(config)
    layers = read_topology(topology)
    array = _core.PeArray(cfg.array_rows, cfg.array_cols, cfg.dataflow)
    rows = []
    for layer in layers:
        m, k, n = layer.gemm
        c = array.gemm(m, k, n)
        rows.append(
            {
                "layer": layer.name,
                "total_cycles": c.scalesim_total_cycles,
                "stall_cycles": 0,
                "overall_util_pct": c.overall_util * 100.0,
                "mapping_efficiency_pct": c.mapping_efficiency * 100.0,
                "compute_util_pct": c.compute_util * 100.0,
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the report."""
    cfg = read_config(args.config)
    rows = layer_cycles(args.topology, args.config)
    if cfg.interface_bandwidth != "CALC":
        print(
            f"tnpu layer-cycles: note: {args.config} sets InterfaceBandwidth: {cfg.interface_bandwidth}; "
            "stall cycles are not modelled here (reported as 0, as with CALC)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(rows))
        return 0
    print(", ".join(title for title, _key in COLUMNS))
    for row in rows:
        print(
            f"{row['layer']}, {row['total_cycles']}, {row['stall_cycles']}, {row['overall_util_pct']:.4f}, "
            f"{row['mapping_efficiency_pct']:.4f}, {row['compute_util_pct']:.4f}"
        )
    return 0
