"""A memory model written in Python as the DMA engines' target (tnpu.simulate(..., memory=obj), tnpu.memory)."""

from __future__ import annotations

import traceback

import numpy as np
import pytest

import tnpu
from tnpu.accelerator import load_accelerator
from tnpu.errors import ConfigError
from tnpu.memory import BandwidthLatency, MemoryModel

FIXED = load_accelerator("tnpu").arch.memory  # the preset's "fixed" settings (latency, bus interval)


def fixed_run(model: str, arch: str, batch: int, burst: int):
    """The C++ fixed model with a queue that never rejects (the Python model accepts every request).

    With bursts, each completes as a unit (dma.notify_lines off), as a Python model's request does.
    """
    overrides = {"memory.model": "fixed", "memory.queue_depth": 1 << 20, "memory.max_request_bytes": burst}
    if burst:
        overrides["dma.notify_lines"] = False
    return tnpu.simulate(model, arch, batch=batch, overrides=overrides)


@pytest.mark.parametrize("arch", ["tnpu", "dnpu", "dadiannao"])
@pytest.mark.parametrize("burst", [0, 4096])
def test_python_fixed_model_gives_the_cpp_fixed_model_timing(arch, burst):
    cpp = fixed_run("lenet5", arch, 2, burst)
    model = BandwidthLatency(FIXED.latency_ps, FIXED.issue_interval_ps, max_request_bytes=burst)
    assert isinstance(model, MemoryModel)
    py = tnpu.simulate("lenet5", arch, batch=2, memory=model)
    np.testing.assert_array_equal(cpp.tasks, py.tasks)  # every start, end and count
    assert py.meta["memory_model"] == "python:BandwidthLatency"
    assert py.meta["dram_requests"] == cpp.meta["dram_requests"]
    lines = py.stats["tnpu.external.lines"]
    assert lines == py.meta["dram_requests"]
    calls = py.stats["tnpu.external.requests"]
    assert calls == lines if burst == 0 else calls < lines / 10  # bursts: far fewer calls
    assert py.stats["tnpu.external.bytes"] == py.meta["dram_bytes_read"] + py.meta["dram_bytes_written"]


class Recorder:
    """Constant latency; records the calls."""

    def __init__(self, latency: int = 50_000) -> None:
        self.latency = latency
        self.calls: list[tuple[int, int, bool, int]] = []

    def access(self, addr, nbytes, is_write, now_ps):
        self.calls.append((addr, nbytes, is_write, now_ps))
        return self.latency


def test_calls_see_the_requests_in_time_order():
    m = Recorder()
    r = tnpu.simulate("lenet5", "tnpu", batch=1, memory=m)
    addr, nbytes, write, now = (np.array(c) for c in zip(*m.calls, strict=True))
    assert len(m.calls) == r.meta["dram_requests"]
    assert (np.diff(now) >= 0).all()
    assert set(nbytes.tolist()) == {64}
    assert (addr % 64 == 0).all()
    assert write.dtype == bool
    assert write.any()
    assert (~write).any()
    assert int(nbytes[write].sum()) == r.meta["dram_bytes_written"]
    assert r.stats["tnpu.external.latency.mean"] == 50_000


def test_latency_sets_the_time():
    fast = tnpu.simulate("lenet5", "tnpu", batch=1, memory=Recorder(1_000))
    slow = tnpu.simulate("lenet5", "tnpu", batch=1, memory=Recorder(1_000_000))
    assert slow.makespan_ps > 2 * fast.makespan_ps
    np.testing.assert_array_equal(fast.tasks["macs"], slow.tasks["macs"])


def test_python_memory_with_a_python_policy():
    class Oldest:
        def pick(self, engine, ready, now_ps):
            return 0

    model = BandwidthLatency(FIXED.latency_ps, FIXED.issue_interval_ps)
    both = tnpu.simulate("lenet5", "tnpu", batch=2, memory=model, scheduler=Oldest())
    np.testing.assert_array_equal(both.tasks, fixed_run("lenet5", "tnpu", 2, 0).tasks)


class Returns:
    def __init__(self, value):
        self.value = value

    def access(self, addr, nbytes, is_write, now_ps):
        return self.value


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (None, TypeError, r"returned None \(NoneType\); expected the latency in picoseconds as an int >= 0"),
        (1.5, TypeError, r"returned 1.5 \(float\)"),
        (True, TypeError, r"returned True \(bool\)"),
        (-1, ValueError, r"returned -1; expected a latency in 0..1125899906842624 ps"),
        (2**80, ValueError, r"returned 1208925819614629174706176"),
    ],
)
def test_bad_latencies_are_clear_errors(value, error, text):
    with pytest.raises(error, match=text) as info:
        tnpu.simulate("lenet5", "tnpu", batch=1, memory=Returns(value))
    assert "memory model Returns: access(addr=" in str(info.value)
    assert "now_ps=0)" in str(info.value)


def test_numpy_integer_latency():
    r = tnpu.simulate("lenet5", "tnpu", batch=1, memory=Returns(np.int64(20_000)))
    assert r.stats["tnpu.external.latency.mean"] == 20_000


def test_exception_in_access_keeps_its_traceback_and_names_the_request():
    class Broken:
        def access(self, addr, nbytes, is_write, now_ps):
            if now_ps > 10_000_000:
                raise ArithmeticError("model bug")
            return 1000

    with pytest.raises(ArithmeticError, match="model bug") as info:
        tnpu.simulate("lenet5", "tnpu", batch=1, memory=Broken())
    (note,) = info.value.__notes__
    assert note.startswith("tnpu: raised in memory model Broken: access(addr=")
    assert "bytes=64, is_write=" in note
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "access"


def test_not_a_memory_model():
    with pytest.raises(TypeError, match=r"memory=object: expected an object with a method access"):
        tnpu.simulate("lenet5", "tnpu", batch=1, memory=object())
    m = Recorder()
    m.max_request_bytes = 100  # type: ignore[attr-defined]
    with pytest.raises(
        ValueError, match="max_request_bytes must be an int >= 0 and a multiple of the 64-byte"
    ):
        tnpu.simulate("lenet5", "tnpu", batch=1, memory=m)


def test_external_model_without_an_object_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'external' is a memory model written in Python: pass the object"):
        tnpu.simulate("lenet5", "tnpu", batch=1, overrides={"memory.model": "external"})
    with pytest.raises(ConfigError, match=r"'external' needs a memory object"):
        tnpu.simulate_layer(
            {"kind": "conv", "c": 4, "k": 4, "h": 8, "w": 8, "r": 3, "s": 3}, memory="external"
        )
