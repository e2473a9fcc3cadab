"""``tnpu workloads``: the model zoo, one network's layers and training graph, and compute-trace export."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tnpu.commands._args import check_outputs, positive_int
from tnpu.workloads import LayerKind, Network, Phase, TrainingGraph, get_network, write_compute_trace
from tnpu.workloads.zoo import ZOO

EXAMPLES = """\
examples:
  tnpu workloads                                  the zoo: layers, MACs, weights, training MACs per sample
  tnpu workloads --json                           the same as a JSON list
  tnpu workloads alexnet                          AlexNet's layers and its training graph for a batch of 50
  tnpu workloads resnet18 --batch 8 --instance-samples 4 --json
  tnpu workloads lenet5 --batch 2 --trace lenet5_b2.csv   write a compute trace (.csv or .npz)
"""

#: The layer kinds counted in the ``layers`` column (the usual "depth" of a network).
_COUNTED = (LayerKind.CONV, LayerKind.LINEAR)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu workloads``."""
    p = sub.add_parser(
        "workloads",
        help="list the model zoo, or show one network and its training graph",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("network", nargs="?", help=f"a zoo network ({', '.join(ZOO)}); none: list the zoo")
    p.add_argument("--batch", type=positive_int, default=50, help="samples per batch (default 50, as TNPU)")
    p.add_argument(
        "--instance-samples",
        type=positive_int,
        default=1,
        help="samples per instance (default 1: per sample)",
    )
    p.add_argument(
        "--trace", metavar="PATH", help="write the training graph as a compute trace (.csv or .npz)"
    )
    p.add_argument("--force", action="store_true", help="--trace: overwrite the file if it exists")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run)


def zoo_rows() -> list[dict[str, Any]]:
    """One object per zoo network: ``name, layers, macs, weights, training_macs`` (per sample)."""
    rows = []
    for name, entry in ZOO.items():
        net = entry.build()
        rows.append(
            {
                "name": name,
                "layers": net.count(*_COUNTED),
                "macs": net.forward_macs,
                "weights": net.params,
                "training_macs": net.training_macs,
            }
        )
    return rows


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:g}"


def _layer_rows(net: Network) -> list[dict[str, Any]]:
    needs_bp = net.needs_bp()
    return [
        {
            "name": layer.name,
            "kind": layer.kind.label,
            "shape": layer.describe(),
            "macs": layer.macs(Phase.FP),
            "weights": layer.params,
            "bp": needs_bp[layer.name],
        }
        for layer in net.layers
    ]


def run(args: argparse.Namespace) -> int:
    """List the zoo or describe one network."""
    if args.network is None:
        rows = zoo_rows()
        if args.json:
            print(json.dumps(rows))
            return 0
        print(
            f"{'network':14s} {'layers':>6s} {'MACs':>9s} {'weights':>9s} {'training MACs':>14s}   description"
        )
        for row in rows:
            print(
                f"{row['name']:14s} {row['layers']:>6d} {_si(row['macs']):>9s} {_si(row['weights']):>9s}"
                f" {_si(row['training_macs']):>14s}   {ZOO[row['name']].description}"
            )
        print("layers: conv and linear layers; MACs: forward, per sample; weights: trainable parameters;")
        print("training MACs: FP + BP + GD per sample (no BP for the first layer)")
        return 0
    check_outputs([("--trace", args.trace)], force=args.force)
    net = get_network(args.network)
    graph = TrainingGraph(net, batch=args.batch, instance_samples=args.instance_samples)
    graph.validate()
    if args.trace:
        write_compute_trace(graph.to_arrays(), args.trace)
    if args.json:
        out = {
            "name": net.name,
            "layers": _layer_rows(net),
            "macs": net.forward_macs,
            "weights": net.params,
            "training_macs": net.training_macs,
            "graph": dict(graph.describe()),
            "phases": [
                {
                    k: (v.item() if hasattr(v, "item") else v)
                    for k, v in zip(row.dtype.names or (), row, strict=True)
                }
                for row in graph.summary("phase")
            ],
        }
        print(json.dumps(out))
        return 0
    print(f"{net.name}: input {'x'.join(map(str, net.input_shape))}, {len(net)} layers")
    print(f"  {'layer':26s} {'kind':9s} {'MACs':>9s} {'weights':>9s}  BP  shape")
    for row in _layer_rows(net):
        print(
            f"  {row['name']:26s} {row['kind']:9s} {_si(row['macs']):>9s} {_si(row['weights']):>9s}"
            f"  {'y' if row['bp'] else '-':2s}  {row['shape']}"
        )
    print(
        f"  total: {_si(net.forward_macs)} MACs, {_si(net.params)} weights, {_si(net.training_macs)} training MACs"
        " per sample"
    )
    d = graph.describe()
    print(
        f"\ntraining graph: batch {d['batch']}, {d['instance_samples']} sample(s) per instance,"
        f" {d['tasks']:,} tasks, {d['dependencies']:,} dependencies"
    )
    print(graph.summary_table("phase"))
    print()
    print(graph.summary_table("kind"))
    if args.trace:
        print(f"\ncompute trace written to {args.trace}")
    return 0
