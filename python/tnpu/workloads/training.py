"""The training graph: the tasks of one or more training batches of a network, and their dependencies.

For each *instance* (one sample, or a micro-batch of ``instance_samples`` samples) and each layer there are tasks
FP, BP (input gradient; none for layers fed only by the network input, i.e. the first layer) and GD (parameter
gradient; only layers with parameters), and once per batch a WU per layer with parameters. Dependencies
(``shared/design.md`` section 1):

- FP of a layer needs FP of each of its producers (same instance);
- BP of the loss needs FP of the loss; BP of a layer needs BP of each of its consumers (their ``dX`` is its ``dY``);
- GD of a layer needs BP of each of its consumers (its ``dY``) and its own FP (the stashed input);
- WU of a layer needs GD of that layer for every instance of the batch;
- FP of a layer with parameters in batch ``j > 0`` needs WU of that layer in batch ``j - 1``.

Instances of a batch depend on each other only through WU. Task ids are ``0 .. n-1`` in an order where every task
comes after its dependencies.

The graph is held as arrays (:class:`TaskArrays`): a structured array of task records (:data:`TASK_DTYPE`) and the
dependencies in CSR form (``dep_offsets``, ``dep_ids``). That is what crosses into C++ (:meth:`TaskArrays.to_core`)
and what compute traces store (:mod:`tnpu.workloads.traces`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tnpu import _core
from tnpu.errors import ConfigError
from tnpu.workloads.layers import LayerKind, Network, Phase

#: One task record. ``m, n, k`` is the implicit-GEMM shape (0 for element-wise tasks); ``macs`` the useful
#: multiply-accumulates; ``vector_ops`` the element-wise operations; ``bytes_in``/``bytes_out`` the data read and
#: written; ``stash_bytes`` what an FP task keeps for its instance's backward phases; ``start_cycle``/``end_cycle`` a
#: recorded timing (``-1`` when none was recorded).
TASK_DTYPE = np.dtype(
    [
        ("id", "<i8"),
        ("instance", "<i4"),
        ("phase", "u1"),
        ("layer", "<i4"),
        ("layer_kind", "u1"),
        ("m", "<i8"),
        ("n", "<i8"),
        ("k", "<i8"),
        ("macs", "<i8"),
        ("vector_ops", "<i8"),
        ("bytes_in", "<i8"),
        ("bytes_out", "<i8"),
        ("stash_bytes", "<i8"),
        ("start_cycle", "<i8"),
        ("end_cycle", "<i8"),
    ]
)

#: The TASK_DTYPE columns :class:`tnpu._core.TaskGraph` takes, in its argument order (then the dependency CSR).
_TASK_GRAPH_COLUMNS = (
    "id",
    "instance",
    "phase",
    "layer",
    "layer_kind",
    "m",
    "n",
    "k",
    "macs",
    "bytes_in",
    "bytes_out",
    "start_cycle",
    "end_cycle",
)

#: Dtype of :meth:`TaskArrays.summary` rows.
SUMMARY_DTYPE = np.dtype(
    [
        ("group", "U16"),
        ("tasks", "<i8"),
        ("macs", "<i8"),
        ("vector_ops", "<i8"),
        ("bytes_in", "<i8"),
        ("bytes_out", "<i8"),
    ]
)


@dataclass
class TaskArrays:
    """Tasks and dependencies as arrays: the form that crosses into C++ and that compute traces store.

    Attributes
    ----------
    tasks
        Structured array of :data:`TASK_DTYPE`, one record per task.
    dep_offsets
        ``int64[len(tasks) + 1]``: the dependencies of task ``i`` are ``dep_ids[dep_offsets[i]:dep_offsets[i+1]]``.
    dep_ids
        ``int64``: task *ids* (the ``id`` field), not positions.
    layer_names
        Name of each layer index used in ``tasks["layer"]``.
    meta
        Free-form description (network, batch, instance_samples, dtype_bytes).
    """

    tasks: npt.NDArray[np.void]
    dep_offsets: npt.NDArray[np.int64]
    dep_ids: npt.NDArray[np.int64]
    layer_names: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.tasks.shape[0])

    def deps(self, i: int) -> npt.NDArray[np.int64]:
        """Dependency ids of the task at position ``i``."""
        return self.dep_ids[self.dep_offsets[i] : self.dep_offsets[i + 1]]

    def to_core(self) -> _core.TaskGraph:
        """Hand the graph to C++ in one call; the C++ side validates it (ids, producers, cycles) and keeps a copy.

        Raises
        ------
        ConfigError
            For a bad record, a dependency on a task id that does not exist, or a dependency cycle; the message
            names the task ids involved.
        """
        columns = [self.tasks[name] for name in _TASK_GRAPH_COLUMNS]
        return _core.TaskGraph(
            *(np.ascontiguousarray(a, dtype=np.int64) for a in (*columns, self.dep_offsets, self.dep_ids))
        )

    def validate(self) -> None:
        """Check the graph (in C++): unique ids, known producers, no cycle, consistent records.

        Raises
        ------
        ConfigError
            Naming the task ids at fault.
        """
        if self.tasks.dtype != TASK_DTYPE:
            raise ConfigError(f"task array has dtype {self.tasks.dtype}, expected TASK_DTYPE")
        layer = self.tasks["layer"]
        if len(self) and (int(layer.min()) < 0 or int(layer.max()) >= len(self.layer_names)):
            bad = int(self.tasks["id"][np.flatnonzero((layer < 0) | (layer >= len(self.layer_names)))[0]])
            raise ConfigError(f"task {bad}: layer index outside the {len(self.layer_names)} named layers")
        kinds = self.tasks["layer_kind"]
        if len(self) and int(kinds.max()) >= len(LayerKind):
            bad = int(self.tasks["id"][np.flatnonzero(kinds >= len(LayerKind))[0]])
            raise ConfigError(f"task {bad}: layer_kind code outside 0..{len(LayerKind) - 1}")
        self.to_core()

    def summary(self, by: str = "phase") -> npt.NDArray[np.void]:
        """Totals per phase (``by="phase"``), per layer kind (``"kind"``) or per layer (``"layer"``).

        Returns
        -------
        numpy.ndarray
            Rows of :data:`SUMMARY_DTYPE` (``group, tasks, macs, vector_ops, bytes_in, bytes_out``), plus a
            final ``total`` row.
        """
        t = self.tasks
        if by == "phase":
            keys, labels = t["phase"].astype(np.int64), [p.name for p in Phase]
        elif by == "kind":
            keys, labels = t["layer_kind"].astype(np.int64), [k.label for k in LayerKind]
        elif by == "layer":
            keys, labels = t["layer"].astype(np.int64), list(self.layer_names)
        else:
            raise ValueError(f"summary: by must be 'phase', 'kind' or 'layer', got '{by}'")
        rows = []
        for code, label in enumerate(labels):
            sel = keys == code
            if not sel.any():
                continue
            rows.append(
                (
                    label,
                    int(sel.sum()),
                    int(t["macs"][sel].sum()),
                    int(t["vector_ops"][sel].sum()),
                    int(t["bytes_in"][sel].sum()),
                    int(t["bytes_out"][sel].sum()),
                )
            )
        rows.append(
            (
                "total",
                len(self),
                int(t["macs"].sum()),
                int(t["vector_ops"].sum()),
                int(t["bytes_in"].sum()),
                int(t["bytes_out"].sum()),
            )
        )
        return np.array(rows, dtype=SUMMARY_DTYPE)

    def summary_table(self, by: str = "phase") -> str:
        """:meth:`summary` as aligned text."""
        rows = self.summary(by)
        width = max(8, *(len(str(r["group"])) for r in rows))
        head = (
            f"{by:<{width}} {'tasks':>8} {'MACs':>16} {'vector ops':>14} {'bytes in':>16} {'bytes out':>16}"
        )
        lines = [head, "-" * len(head)]
        for r in rows:
            lines.append(
                f"{r['group']:<{width}} {r['tasks']:>8,} {r['macs']:>16,} {r['vector_ops']:>14,}"
                f" {r['bytes_in']:>16,} {r['bytes_out']:>16,}"
            )
        return "\n".join(lines)

    def dep_positions(self) -> npt.NDArray[np.int64]:
        """Return ``dep_ids`` translated from task ids to positions in :attr:`tasks`.

        Raises
        ------
        ConfigError
            For a dependency on an id that no task has (naming it).
        """
        ids = self.tasks["id"]
        order = np.argsort(ids, kind="stable")
        found = np.searchsorted(ids, self.dep_ids, sorter=order)
        found = np.minimum(found, max(len(ids) - 1, 0))
        pos = order[found] if len(ids) else np.zeros(0, dtype=np.int64)
        bad = np.flatnonzero(ids[pos] != self.dep_ids) if len(ids) else np.arange(self.dep_ids.size)
        if bad.size:
            raise ConfigError(
                f"task graph: a task depends on task {int(self.dep_ids[bad[0]])}, which does not exist"
            )
        return pos.astype(np.int64)

    def schedule_arrays(self, matrix_kinds: tuple[LayerKind, ...] = (LayerKind.CONV,)) -> dict[str, Any]:
        """Return the graph in the form the schedulers take (``tnpu.schedule.run_schedule``).

        Tasks are put in program order (every dependency before its task; the given order is kept when it already is
        one). Task classes: FP, BP and GD of ``matrix_kinds`` layers are matrix work (0, a PE array); everything
        else (FC, element-wise layers, WU) is vector work (1). WU tasks get the batch-level instance ``2**32 - 1``.

        Returns
        -------
        dict
            ``instance, layer, phase, task_class, dep_offsets, dep_ids`` (positions in the new order), and ``id``:
            the original task id at each position, to map results back.
        """
        dep_pos = self.dep_positions()
        n = len(self)
        owner = np.repeat(np.arange(n), np.diff(self.dep_offsets))
        if n and np.any(dep_pos >= owner):
            perm = self.to_core().topological_order().astype(np.int64)
        else:
            perm = np.arange(n, dtype=np.int64)
        rank = np.empty(n, dtype=np.int64)
        rank[perm] = np.arange(n)
        counts = np.diff(self.dep_offsets)[perm]
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.uint64)
        deps = (
            np.concatenate([rank[dep_pos[self.dep_offsets[p] : self.dep_offsets[p + 1]]] for p in perm])
            if dep_pos.size
            else np.zeros(0, dtype=np.int64)
        )
        t = self.tasks[perm]
        matrix = np.isin(t["layer_kind"], [int(k) for k in matrix_kinds]) & (t["phase"] != int(Phase.WU))
        instance = t["instance"].astype(np.uint32)
        instance[t["phase"] == int(Phase.WU)] = np.uint32(2**32 - 1)
        return {
            "instance": instance,
            "layer": t["layer"].astype(np.uint32),
            "phase": t["phase"].astype(np.uint8),
            "task_class": np.where(matrix, 0, 1).astype(np.uint8),
            "dep_offsets": offsets,
            "dep_ids": deps.astype(np.uint32),
            "id": t["id"].copy(),
        }

    def equal(self, other: TaskArrays) -> bool:
        """Tell whether both hold the same tasks, dependencies and layer names (``meta`` is not compared)."""
        return (
            self.layer_names == other.layer_names
            and np.array_equal(self.tasks, other.tasks)
            and np.array_equal(self.dep_offsets, other.dep_offsets)
            and np.array_equal(self.dep_ids, other.dep_ids)
        )


class TrainingGraph:
    """The training tasks of ``batches`` batches of ``batch`` samples of a network.

    Parameters
    ----------
    network
        The network; a softmax cross-entropy loss is appended if it has none.
    batch
        Samples per batch (TNPU: 50).
    instance_samples
        Samples per instance: 1 (per-sample tasks, TNPU's granularity) or a micro-batch size that divides
        ``batch``.
    batches
        Consecutive batches (each WU gates the next batch's FP of the same layer).
    dtype_bytes
        Bytes per activation, weight and gradient element (4: FP32).

    Raises
    ------
    ConfigError
        For a non-positive size, a micro-batch that does not divide the batch, or a network whose layers do not
        all lead to the loss.

    Examples
    --------
    >>> from tnpu.workloads import TrainingGraph, get_network
    >>> g = TrainingGraph(get_network("lenet5"), batch=2)
    >>> g.num_instances, len(g)
    (2, 65)
    """

    def __init__(
        self,
        network: Network,
        batch: int = 1,
        instance_samples: int = 1,
        batches: int = 1,
        dtype_bytes: int = 4,
    ) -> None:
        for what, value in (
            ("batch", batch),
            ("instance_samples", instance_samples),
            ("batches", batches),
            ("dtype_bytes", dtype_bytes),
        ):
            if int(value) != value or value <= 0:
                raise ConfigError(f"training graph: {what} must be a positive whole number, got {value!r}")
        if batch % instance_samples:
            raise ConfigError(
                f"training graph: instance_samples ({instance_samples}) must divide the batch ({batch})"
            )
        net = network.with_loss()
        for layer in net.layers[:-1]:
            if not net.consumers(layer.name):
                raise ConfigError(
                    f"network '{net.name}': layer '{layer.name}' feeds nothing, so no gradient reaches it"
                )
        self.network = net
        self.batch = int(batch)
        self.instance_samples = int(instance_samples)
        self.batches = int(batches)
        self.dtype_bytes = int(dtype_bytes)
        self._arrays = self._build()

    @property
    def instances_per_batch(self) -> int:
        """Instances in one batch."""
        return self.batch // self.instance_samples

    @property
    def num_instances(self) -> int:
        """Instances over all batches."""
        return self.instances_per_batch * self.batches

    def __len__(self) -> int:
        return len(self._arrays)

    def _build(self) -> TaskArrays:
        net, b, dt = self.network, self.instance_samples, self.dtype_bytes
        layers = net.layers
        needs_bp = net.needs_bp()
        index = {layer.name: i for i, layer in enumerate(layers)}
        consumers = [[index[c] for c in net.consumers(layer.name)] for layer in layers]
        producers = [[index[p] for p in layer.inputs if p in index] for layer in layers]

        # Per-layer records of one instance (or one batch, for WU), reused for every instance: costs from C++, one
        # call per sample count.
        per_instance = net.costs(b, dt)
        per_batch = per_instance if self.batch == b else net.costs(self.batch, dt)
        fields = ("m", "n", "k", "macs", "vector_ops", "bytes_in", "bytes_out")
        weighted = [bool(p > 0) for p in per_instance["params"]]

        def record(li: int, phase: Phase) -> tuple[int, ...]:
            c = per_batch if phase is Phase.WU else per_instance
            stash = int(c["stash_bytes"][li]) if phase is Phase.FP else 0
            return (int(phase), li, int(layers[li].kind), *(int(c[f][li, int(phase)]) for f in fields), stash)

        per_layer = {(li, ph): record(li, ph) for li in range(len(layers)) for ph in Phase}
        rows: list[tuple[int, ...]] = []
        offsets: list[int] = [0]
        deps: list[int] = []

        def emit(instance: int, li: int, phase: Phase, on: list[int]) -> int:
            tid = len(rows)
            rows.append((tid, instance, *per_layer[(li, phase)], -1, -1))
            deps.extend(on)
            offsets.append(len(deps))
            return tid

        wu_prev: dict[int, int] = {}
        for batch_index in range(self.batches):
            gd_ids: dict[int, list[int]] = {li: [] for li in range(len(layers)) if weighted[li]}
            for local in range(self.instances_per_batch):
                inst = batch_index * self.instances_per_batch + local
                fp: list[int] = []
                for li in range(len(layers)):
                    on = [fp[p] for p in producers[li]]
                    if li in wu_prev:
                        on.append(wu_prev[li])
                    fp.append(emit(inst, li, Phase.FP, on))
                bp: dict[int, int] = {}
                for li in reversed(range(len(layers))):
                    if not (needs_bp[layers[li].name] or weighted[li]):
                        continue
                    # dY of this layer: the dX of each consumer, or (for the loss) its own forward result.
                    dy = [bp[c] for c in consumers[li]] if consumers[li] else [fp[li]]
                    if needs_bp[layers[li].name]:
                        bp[li] = emit(inst, li, Phase.BP, dy)
                    if weighted[li]:
                        gd_ids[li].append(emit(inst, li, Phase.GD, [*dy, fp[li]]))
            wu_prev = {li: emit(batch_index, li, Phase.WU, ids) for li, ids in gd_ids.items()}

        tasks = np.array(rows, dtype=TASK_DTYPE) if rows else np.zeros(0, dtype=TASK_DTYPE)
        meta = {
            "network": net.name,
            "batch": self.batch,
            "instance_samples": self.instance_samples,
            "batches": self.batches,
            "dtype_bytes": self.dtype_bytes,
        }
        return TaskArrays(
            tasks,
            np.array(offsets, dtype=np.int64),
            np.array(deps, dtype=np.int64),
            tuple(layer.name for layer in layers),
            meta,
        )

    def to_arrays(self) -> TaskArrays:
        """Return the graph as arrays (a copy; see :class:`TaskArrays`)."""
        a = self._arrays
        return TaskArrays(a.tasks.copy(), a.dep_offsets.copy(), a.dep_ids.copy(), a.layer_names, dict(a.meta))

    @property
    def tasks(self) -> npt.NDArray[np.void]:
        """The task records (read-only view)."""
        view = self._arrays.tasks.view()
        view.flags.writeable = False
        return view

    def deps(self, task_id: int) -> list[int]:
        """Dependency ids of task ``task_id``."""
        return [int(d) for d in self._arrays.deps(task_id)]

    def find(self, layer: str, phase: Phase, instance: int = 0) -> int:
        """Id of the task of ``layer`` / ``phase`` / ``instance`` (for WU, ``instance`` is the batch index)."""
        t = self._arrays.tasks
        li = self.network.index(layer)
        hit = np.flatnonzero((t["layer"] == li) & (t["phase"] == int(phase)) & (t["instance"] == instance))
        if hit.size == 0:
            raise KeyError(f"no {phase.name} task of layer '{layer}' for instance {instance}")
        return int(hit[0])

    def validate(self) -> None:
        """Validate the graph in C++ (see :meth:`TaskArrays.validate`)."""
        self._arrays.validate()

    def summary(self, by: str = "phase") -> npt.NDArray[np.void]:
        """Totals per phase, layer kind or layer (see :meth:`TaskArrays.summary`)."""
        return self._arrays.summary(by)

    def summary_table(self, by: str = "phase") -> str:
        """:meth:`summary` as aligned text."""
        return self._arrays.summary_table(by)

    def describe(self) -> Mapping[str, Any]:
        """Graph size and parameters as a dict."""
        return {**self._arrays.meta, "tasks": len(self), "dependencies": int(self._arrays.dep_ids.size)}
