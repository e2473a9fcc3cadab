"""Python scheduling policies inside the C++ simulation (docs/scheduling.md).

The built-in schedulers rewritten in Python (examples/builtin_policies.py) must give the C++ schedules exactly, through
run_schedule and tnpu.simulate; what a policy sees (ready rows, context) must be what the contract says; and a
policy's mistakes must reach the user as Python errors that name the decision.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tnpu
from tnpu.errors import ConfigError, SimulationError
from tnpu.schedule import BATCH_INSTANCE, READY_DTYPE, load_policy, run_schedule
from tnpu.workloads import TrainingGraph, get_network

REPO = Path(__file__).resolve().parents[1]
MATRIX, VECTOR = 0, 1
FP, BP, GD, WU = 0, 1, 2, 3


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_tnpu_example_{name}", REPO / "examples" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builtin = _example("builtin_policies")
srwf = _example("srwf_policy")


def toy_graph(instances: int, with_wu: bool = True) -> dict[str, np.ndarray]:
    """paper.md 1.3: per instance CF -> FF -> FB -> {CB, FG}, CB -> CG; WU per layer after all its GD."""
    per = [
        ("CF", 0, FP, MATRIX, []),
        ("FF", 1, FP, VECTOR, ["CF"]),
        ("FB", 1, BP, VECTOR, ["FF"]),
        ("CB", 0, BP, MATRIX, ["FB"]),
        ("FG", 1, GD, VECTOR, ["FB"]),
        ("CG", 0, GD, MATRIX, ["CB"]),
    ]
    tasks, deps = [], []
    gd: dict[int, list[int]] = {0: [], 1: []}
    for i in range(instances):
        ids = {name: len(tasks) + k for k, (name, *_rest) in enumerate(per)}
        for name, layer, phase, cls, dnames in per:
            tasks.append((i, layer, phase, cls))
            deps.append([ids[d] for d in dnames])
            if phase == GD:
                gd[layer].append(ids[name])
    if with_wu:
        for layer in (0, 1):
            tasks.append((BATCH_INSTANCE, layer, WU, VECTOR))
            deps.append(gd[layer])
    arr = np.array(tasks, dtype=np.uint64).T
    return dict(
        instance=arr[0],
        layer=arr[1],
        phase=arr[2],
        task_class=arr[3],
        dep_offsets=np.cumsum([0] + [len(d) for d in deps]),
        dep_ids=np.array([x for d in deps for x in d], dtype=np.uint32),
    )


def zoo_graph(name: str, batch: int) -> dict[str, np.ndarray]:
    s = TrainingGraph(get_network(name), batch=batch).to_arrays().schedule_arrays()
    return {k: s[k] for k in ("instance", "layer", "phase", "task_class", "dep_offsets", "dep_ids")}


def schedule(graph, durations, scheduler, *, engines=("pu_c", "pu_f"), engine_of_class=(0, 1), window=None):
    return run_schedule(
        **graph,
        duration_ps=durations,
        engines=engines,
        engine_of_class=engine_of_class,
        scheduler=scheduler,
        window=window,
    )


def assert_same(a, b) -> None:
    np.testing.assert_array_equal(a.start_ps, b.start_ps)
    np.testing.assert_array_equal(a.end_ps, b.end_ps)
    np.testing.assert_array_equal(a.engine, b.engine)
    assert a.makespan_ps == b.makespan_ps


# ---- the built-in schedulers rewritten in Python give the C++ schedules ----------------------------------------

PAIRS = [("inorder", builtin.InOrder), ("split", builtin.Split), ("reorder", builtin.Reorder)]
MACHINES = [(("pu_c", "pu_f"), (0, 1)), (("array",), (0, 0))]


@pytest.mark.parametrize(("name", "make"), PAIRS)
@pytest.mark.parametrize(("engines", "engine_of_class"), MACHINES)
@pytest.mark.parametrize("graph", ["toy", "lenet5", "mpcnn"])
def test_python_builtins_match_cpp_run_schedule(name, make, engines, engine_of_class, graph):
    g = toy_graph(8) if graph == "toy" else zoo_graph(graph, batch=6)
    rng = np.random.default_rng(7)
    for _ in range(3):  # random durations: ties and reorderings both happen
        d = rng.integers(1, 40, len(g["instance"])) * 250
        cpp = schedule(g, d, name, engines=engines, engine_of_class=engine_of_class)
        py = schedule(g, d, make(), engines=engines, engine_of_class=engine_of_class)
        assert_same(cpp, py)


@pytest.mark.parametrize("window", [1, 2, 3, 5])
def test_python_reorder_keeps_the_window_as_cpp_does(window):
    g = zoo_graph("lenet5", batch=8)
    d = np.random.default_rng(window).integers(1, 40, len(g["instance"])) * 250
    cpp = schedule(g, d, "reorder", window=window)
    assert cpp.window_used == window
    # the window kept in Python ...
    assert_same(cpp, schedule(g, d, builtin.Reorder(window)))
    # ... and the window left to C++ (the policy's `window` attribute), with oldest-first in one line
    py = schedule(g, d, srwf.OldestFirst(window))
    assert_same(cpp, py)
    assert (py.window_limit, py.window_used) == (window, window)


@st.composite
def random_graph(draw):
    instances = draw(st.integers(1, 5))
    layers = draw(st.integers(1, 4))
    classes = [draw(st.sampled_from([MATRIX, VECTOR])) for _ in range(layers)]
    tasks, deps = [], []
    fp, bp, gd = {}, {}, {lay: [] for lay in range(layers)}
    for i in range(instances):
        for lay in range(layers):
            fp[i, lay] = len(tasks)
            tasks.append((i, lay, FP, classes[lay]))
            deps.append([fp[i, lay - 1]] if lay else [])
        for lay in reversed(range(layers)):
            up = [bp[i, lay + 1]] if lay + 1 < layers else [fp[i, layers - 1]]
            if lay > 0:
                bp[i, lay] = len(tasks)
                tasks.append((i, lay, BP, classes[lay]))
                deps.append(up)
            else:
                bp[i, lay] = up[0]
            gd[lay].append(len(tasks))
            tasks.append((i, lay, GD, classes[lay]))
            deps.append(sorted({*up, fp[i, lay]}))
    if draw(st.booleans()):
        for lay in range(layers):
            tasks.append((BATCH_INSTANCE, lay, WU, VECTOR))
            deps.append(gd[lay])
    durations = [draw(st.integers(0, 20)) * 100 for _ in tasks]  # zero-length tasks too
    arr = np.array(tasks, dtype=np.uint64).T
    graph = dict(
        instance=arr[0],
        layer=arr[1],
        phase=arr[2],
        task_class=arr[3],
        dep_offsets=np.cumsum([0] + [len(d) for d in deps]),
        dep_ids=np.array([x for d in deps for x in d], dtype=np.uint32),
    )
    return graph, np.array(durations, dtype=np.uint64)


@settings(max_examples=40, deadline=None)
@given(random_graph(), st.integers(0, 3))
def test_python_builtins_match_cpp_on_random_graphs(case, window):
    g, d = case
    for name, make in PAIRS:
        assert_same(schedule(g, d, name), schedule(g, d, make()))
    assert_same(schedule(g, d, "reorder", window=window), schedule(g, d, builtin.Reorder(window)))


@pytest.mark.parametrize(
    ("arch", "make", "memory"),
    [
        ("dadiannao", builtin.InOrder, "ideal"),
        ("dadiannao", builtin.InOrder, "fixed"),
        ("dnpu", builtin.Split, "ideal"),
        ("dnpu", builtin.Split, "fixed"),
        ("tnpu", srwf.OldestFirst, "ideal"),
        ("tnpu", srwf.OldestFirst, "fixed"),
    ],
)
@pytest.mark.parametrize("model", ["lenet5", "mpcnn"])
def test_python_builtins_match_cpp_simulate(arch, make, memory, model):
    overrides = {"memory.model": memory}
    cpp = tnpu.simulate(model, arch, batch=4, overrides=overrides)
    py = tnpu.simulate(model, arch, batch=4, overrides=overrides, scheduler=make())
    np.testing.assert_array_equal(cpp.tasks, py.tasks)  # start, end, engine, and every count per task
    assert py.stats["tnpu.executor.tasks_done"] == len(py.tasks)
    assert py.meta["scheduler"] == f"python:{make.__name__}"
    if arch == "tnpu":
        assert py.meta["window_limit"] == cpp.meta["window_limit"]


def test_python_reorder_with_its_own_window_matches_cpp_simulate():
    overrides = {"memory.model": "fixed"}
    cpp = tnpu.simulate("mpcnn", "tnpu", batch=6, window=2, overrides=overrides)
    assert cpp.meta["window_used"] == 2
    py = tnpu.simulate("mpcnn", "tnpu", batch=6, overrides=overrides, scheduler=builtin.Reorder(2))
    np.testing.assert_array_equal(cpp.tasks, py.tasks)


def test_policy_window_precedence_in_simulate():
    overrides = {"memory.model": "ideal"}
    own = tnpu.simulate("lenet5", "tnpu", batch=6, overrides=overrides, scheduler=srwf.OldestFirst(2))
    assert own.meta["window_limit"] == 2  # the policy's window ...
    given = tnpu.simulate(
        "lenet5", "tnpu", batch=6, window=3, overrides=overrides, scheduler=srwf.OldestFirst(2)
    )
    assert given.meta["window_limit"] == 3  # ... unless the call gives one
    stash = tnpu.simulate("lenet5", "tnpu", batch=6, overrides=overrides)
    default = tnpu.simulate("lenet5", "tnpu", batch=6, overrides=overrides, scheduler=srwf.OldestFirst())
    assert default.meta["window_limit"] == stash.meta["window_limit"]  # none: the stash bound, as reorder


# ---- what a policy sees ----------------------------------------------------------------------------------------


class Recorder:
    """Oldest first; records every call and checks the contract as it goes."""

    def __init__(self):
        self.calls = []
        self.resets = 0

    def reset(self, ctx):
        self.resets += 1
        self.ctx = ctx

    def pick(self, engine, ready, now_ps):
        assert isinstance(engine, str)
        assert isinstance(now_ps, int)
        assert ready.dtype == READY_DTYPE
        assert len(ready) > 0
        assert not ready.flags.writeable
        assert (np.diff(ready["task_id"].astype(np.int64)) > 0).all()  # ascending program order
        e = self.ctx.engines.index(engine)
        assert self.ctx.running[e] == -1  # asked only for an idle engine
        assert (self.ctx.tasks["engine"][ready["task_id"]] == e).all()
        assert not self.ctx.finished[ready["task_id"]].any()
        self.calls.append((engine, ready.copy(), now_ps, self.ctx.finished.copy(), self.ctx.running.copy()))
        return 0


def test_ready_rows_and_context_follow_the_contract():
    g = toy_graph(4)
    n = len(g["instance"])
    d = np.arange(1, n + 1, dtype=np.uint64) * 100
    rec = Recorder()
    s = schedule(g, d, rec)
    assert rec.resets == 1
    assert_same(s, schedule(g, d, "reorder"))
    ctx = rec.ctx
    assert ctx.engines == ("pu_c", "pu_f")
    np.testing.assert_array_equal(ctx.tasks["duration_ps"], d)
    assert (ctx.tasks["instance"][g["phase"] == WU] == -1).all()
    assert ctx.finished.all()
    assert (ctx.running == -1).all()
    with pytest.raises(ValueError, match="read-only"):
        ctx.running[0] = 3
    deps = [g["dep_ids"][g["dep_offsets"][i] : g["dep_offsets"][i + 1]] for i in range(n)]
    for _engine, ready, now, finished, _running in rec.calls:
        for row in ready:
            t = int(row["task_id"])
            assert row["layer"] == g["layer"][t]
            assert row["phase"] == g["phase"][t]
            assert row["task_class"] == g["task_class"][t]
            assert row["instance"] == (-1 if g["instance"][t] == BATCH_INSTANCE else g["instance"][t])
            ready_at = max((int(s.end_ps[x]) for x in deps[t]), default=0)
            assert row["ready_ps"] == ready_at <= now
            assert s.start_ps[t] >= now  # not started before this decision
        # finished is live: exactly the tasks that ended by now (the decision comes after every completion at now)
        np.testing.assert_array_equal(finished, s.end_ps <= now)
    # the runs are independent: reset again, same decisions
    again = schedule(g, d, rec)
    assert rec.resets == 2
    assert_same(s, again)


def test_policy_may_wait_and_is_asked_again():
    class Lazy:
        """Starts nothing while the other engine is busy (a stricter in-order)."""

        def reset(self, ctx):
            self.ctx = ctx

        def pick(self, engine, ready, now_ps):
            return None if (self.ctx.running >= 0).any() else 0

    g = toy_graph(3)
    d = np.full(len(g["instance"]), 1000, dtype=np.uint64)
    s = schedule(g, d, Lazy())
    assert s.makespan_ps == len(d) * 1000  # one at a time
    assert s.overlap_ps("pu_c", "pu_f") == 0


def test_simulate_context_has_the_work_of_each_task():
    rec = Recorder()
    r = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"}, scheduler=rec)
    t = rec.ctx.tasks
    for name in ("macs", "vector_ops", "bytes_in", "bytes_out", "layer_kind"):
        assert name in t.dtype.names
    graph = TrainingGraph(get_network("lenet5"), batch=2).to_arrays().tasks
    np.testing.assert_array_equal(t["macs"], graph["macs"])  # the graph's own counts, known before the run
    np.testing.assert_array_equal(t["phase"], r.tasks["phase"])
    np.testing.assert_array_equal(t["instance"], r.tasks["instance"])
    assert rec.ctx.engines == ("pu_c", "pu_f")


# ---- errors ----------------------------------------------------------------------------------------------------


def _run_policy(policy):
    g = toy_graph(3)
    return schedule(g, np.full(len(g["instance"]), 1000, dtype=np.uint64), policy)


class Returns:
    def __init__(self, value):
        self.value = value

    def pick(self, engine, ready, now_ps):
        return self.value(ready) if callable(self.value) else self.value


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (len, IndexError, r"returned row 3, but `ready` has rows 0..2"),
        (-1, IndexError, r"returned row -1"),
        (2**70, IndexError, r"returned row 1180591620717411303424"),
        ("0", TypeError, r"returned '0' \(str\); expected the row of `ready`"),
        (0.0, TypeError, r"returned 0.0 \(float\)"),
        (True, TypeError, r"returned True \(bool\)"),
    ],
)
def test_bad_return_values_are_clear_errors(value, error, text):
    with pytest.raises(error, match=text) as info:
        _run_policy(Returns(value))
    assert (
        "deciding what engine 'pu_c' starts at 0 ps among 3 ready tasks: row 0 = task 0 (i0 FP layer 0)"
        in str(info.value)
    )


def test_numpy_integers_are_rows():
    s = _run_policy(Returns(lambda ready: np.argmin(ready["task_id"])))
    g = toy_graph(3)
    assert_same(s, schedule(g, np.full(len(g["instance"]), 1000, dtype=np.uint64), "reorder"))


def test_exception_in_pick_keeps_its_traceback_and_names_the_decision():
    class Broken:
        def pick(self, engine, ready, now_ps):
            if now_ps >= 2000:
                raise KeyError("my bug")
            return 0

    with pytest.raises(KeyError, match="my bug") as info:
        _run_policy(Broken())
    notes = getattr(info.value, "__notes__", [])
    assert len(notes) == 1
    assert notes[0].startswith("tnpu: raised in scheduler policy Broken: deciding what engine")
    assert "at 2000 ps" in notes[0]
    assert "row 0 = task" in notes[0]
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == "pick"  # the user's own frame is where it points


def test_a_policy_that_never_starts_anything_is_reported_stuck():
    with pytest.raises(
        SimulationError, match=r"stuck: 20 of 20 tasks never finished under scheduler 'python:Returns'"
    ):
        _run_policy(Returns(None))


def test_not_a_policy():
    with pytest.raises(TypeError, match="expected a scheduler name or a policy object with a method pick"):
        _run_policy(object())
    with pytest.raises(TypeError, match="expected a scheduler name or a policy object"):
        tnpu.simulate("lenet5", "tnpu", batch=1, scheduler=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [-1, 2**32, 1.5, "2", True])
def test_bad_window_attribute(window):
    p = Returns(0)
    p.window = window
    with pytest.raises(
        ConfigError, match=r"scheduler policy Returns: window must be an int in 0\.\.2\*\*32-1"
    ):
        _run_policy(p)


# ---- loading a policy from a file (the CLI form) ---------------------------------------------------------------

POLICY_FILE = """
import numpy as np

class Oldest:
    def pick(self, engine, ready, now_ps):
        return 0

def make():
    return Oldest()

instance = Oldest()
not_a_policy = 3
"""


def test_load_policy_from_a_file(tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(POLICY_FILE)
    for attr in ("Oldest", "make", "instance"):
        p = load_policy(f"{f}:{attr}")
        assert type(p).__name__ == "Oldest"
    with pytest.raises(ConfigError, match=r"mine.py has no 'Nope' \(policies in it: Oldest\)"):
        load_policy(f"{f}:Nope")
    with pytest.raises(ConfigError, match="expected a scheduler name or a policy object"):
        load_policy(f"{f}:not_a_policy")
    with pytest.raises(ConfigError, match=r"missing\.py: no such file"):
        load_policy(f"{tmp_path / 'missing.py'}:Oldest")
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy\nraise RuntimeError('at import')\n")
    with pytest.raises(RuntimeError, match="at import") as info:
        load_policy(f"{bad}:X")
    assert "while importing the scheduler policy file" in info.value.__notes__[0]


def test_simulate_and_run_schedule_take_a_file_spec(tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(POLICY_FILE)
    r = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"}, scheduler=f"{f}:Oldest")
    ref = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"})
    np.testing.assert_array_equal(r.tasks, ref.tasks)
    assert r.meta["scheduler"] == "python:Oldest"
    g = toy_graph(3)
    d = np.full(len(g["instance"]), 1000, dtype=np.uint64)
    assert_same(schedule(g, d, f"{f}:Oldest"), schedule(g, d, "reorder"))


def test_cli_run_with_a_policy_file(tmp_path, capsys):
    from tnpu.cli import main

    f = tmp_path / "mine.py"
    f.write_text(POLICY_FILE)
    args = ["run", "--model", "lenet5", "--batch", "2", "--memory", "ideal", "--quiet"]
    assert main([*args, "--scheduler", f"{f}:Oldest", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"scheduler": "python:Oldest"' in out
    assert main([*args, "--scheduler", f"{f}:Nope"]) == 1
    assert "has no 'Nope'" in capsys.readouterr().err


def test_srwf_example_picks_the_instance_with_least_work_left():
    class Checked(srwf.ShortestRemainingWork):
        def reset(self, ctx):
            super().reset(ctx)
            self.ctx, self.decisions = ctx, 0

        def pick(self, engine, ready, now_ps):
            row = super().pick(engine, ready, now_ps)
            self.decisions += 1
            t, done = self.ctx.tasks, self.ctx.finished
            work = (t["macs"] + t["vector_ops"]).astype(float)
            left = {i: work[(t["instance"] == i) & ~done].sum() for i in set(ready["instance"].tolist())}
            inst = ready["instance"]
            if (inst < 0).any():
                assert inst[row] < 0
                assert (inst[:row] >= 0).all()
            else:
                best = min(left[i] for i in inst.tolist())
                assert left[int(inst[row])] == best
                assert all(left[int(i)] > best for i in inst[:row])  # ties: the oldest
            return row

    policy = Checked()
    r = tnpu.simulate("mpcnn", "tnpu", batch=6, overrides={"memory.model": "fixed"}, scheduler=policy)
    ref = tnpu.simulate("mpcnn", "tnpu", batch=6, overrides={"memory.model": "fixed"})
    assert policy.decisions >= len(r.tasks)
    assert r.meta["window_used"] <= r.meta["window_limit"] == ref.meta["window_limit"]
    assert r.tasks["macs"].sum() == ref.tasks["macs"].sum()


def test_docs_python_examples_run(capsys):
    text = (REPO / "docs" / "scheduling.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python")[1:]]
    assert len(blocks) == 2
    namespace: dict[str, object] = {}  # one session: the second block uses the first one's import
    for block in blocks:
        exec(compile(block, "docs/scheduling.md", "exec"), namespace)  # noqa: S102 - the docs' own examples
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("python:OldestFirst")
    assert "python:OpenRowModel" in out[1]


def test_threads_run_simulations_with_python_components_at_once():
    # Each simulation releases the GIL and takes it back for each Python call: two of them in two threads (each
    # with a policy and a Python memory) neither deadlock nor disturb each other.
    from concurrent.futures import ThreadPoolExecutor

    from tnpu.memory import BandwidthLatency

    def one(arch):
        return tnpu.simulate(
            "mpcnn",
            arch,
            batch=4,
            scheduler=srwf.OldestFirst(),
            memory=BandwidthLatency(max_request_bytes=4096),
        )

    alone = [one(a) for a in ("tnpu", "dnpu")]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(one, ("tnpu", "dnpu")))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a.tasks, b.tasks)


def test_sweep_points_take_a_policy_file():
    # A sweep point carries a policy as its file.py:Name string (picklable), loaded where the point runs.
    from tnpu.simulate import check_accelerator_point, evaluate_accelerator

    spec = f"{REPO / 'examples' / 'srwf_policy.py'}:ShortestRemainingWork"
    params = {"scheduler": spec, "batch": 2, "memory.model": "fixed"}
    got = evaluate_accelerator({"workload": "lenet5", "params": params})
    policy = load_policy(spec)
    want = tnpu.simulate(
        "lenet5", "tnpu", batch=2, scheduler=policy, overrides={"memory.model": "fixed"}
    ).summary()
    assert got["time_s"] == want["time_s"]
    reorder = evaluate_accelerator({"workload": "lenet5", "params": {**params, "scheduler": "reorder"}})
    assert reorder["time_s"] != got["time_s"]
    bad = f"{REPO / 'examples' / 'srwf_policy.py'}:Nope"
    with pytest.raises(ConfigError, match=r"space\.scheduler: .*has no 'Nope'"):
        check_accelerator_point({"workload": "lenet5", "params": {"scheduler": bad}})
