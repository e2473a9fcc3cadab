"""The "sampled" memory model (docs/sampling.md), and the memory path it shares with the others.

The sampled model runs the cycle-level DRAM controller in detailed windows and per-class pipes at the line times
it measured between them. These tests check what must hold exactly (bytes, the all-detailed limit, determinism,
the error estimate's presence), its measured error on small cases against the full cycle-level run, and the
configuration checks of the memory models.
"""

from __future__ import annotations

import json

import pytest

import tnpu
from tnpu.cli import main
from tnpu.errors import ConfigError

# sampling_min_lines 0: sample even these small batches (by default they run wholly in detail)
SAMPLED = {"memory.model": "sampled", "memory.sampling_min_lines": 0}


def _time(r: tnpu.Result) -> float:
    return float(r.summary()["time_s"])


@pytest.fixture(scope="module")
def lenet_dadiannao() -> tuple[tnpu.Result, tnpu.Result]:
    ref = tnpu.simulate("lenet5", "dadiannao", batch=8)
    return ref, tnpu.simulate("lenet5", "dadiannao", batch=8, overrides=SAMPLED)


def test_sampled_moves_the_same_bytes_and_uses_the_fast_pipes(lenet_dadiannao) -> None:
    ref, r = lenet_dadiannao
    assert r.meta["dram_bytes_read"] == ref.meta["dram_bytes_read"]
    assert r.meta["dram_bytes_written"] == ref.meta["dram_bytes_written"]
    assert r.stats["tnpu.sampled.fast_lines"] > 0  # the test exercises the fast path
    assert r.stats["tnpu.sampled.detailed_lines"] > 0
    assert 0 < r.stats["tnpu.sampled.fast_fraction"] < 1


# Measured at main a8a7d89, before the fast path's speed work (pipes kept per source until a measured episode
# ends, the DMA's issue in the tail of a fast completion, the rounding without a library call): that work is exact,
# so the simulated schedule must not move. makespan_ps, fast lines, fast bursts, detailed lines, the sum of the
# task ends (the estimate is computed from that schedule afterwards, by paired_estimate).
_FAST_PATH_GOLDEN = {
    "tnpu": (1232585466, 54581, 1783, 112426, 139938636711),
    "dadiannao": (1385727098, 71971, 2309, 94900, 163360953348),
}


@pytest.mark.parametrize("arch", sorted(_FAST_PATH_GOLDEN))
def test_the_fast_path_is_exactly_as_before_its_speed_work(arch: str) -> None:
    r = tnpu.simulate("lenet5", arch, batch=8, overrides=SAMPLED)
    st = r.stats
    got = (
        int(r.meta["makespan_ps"]),
        int(st["tnpu.sampled.fast_lines"]),
        int(st["tnpu.sampled.fast_bursts"]),
        int(st["tnpu.sampled.detailed_lines"]),
        int(r.tasks["end_ps"].sum()),
    )
    assert got == _FAST_PATH_GOLDEN[arch]


@pytest.mark.parametrize(
    ("net", "arch"), [("lenet5", "dadiannao"), ("mpcnn", "dadiannao"), ("mpcnn", "dnpu")]
)
def test_sampled_time_is_close_to_the_cycle_level_run(net: str, arch: str) -> None:
    # measured (docs/sampling.md): +2.9 %, -1.1 % and -0.2 %: these small nets are the hard case (classes of a
    # few microseconds); the bound catches a broken fast path (an unmeasured pipe is off by 10-70 %)
    ref = tnpu.simulate(net, arch, batch=8)
    r = tnpu.simulate(net, arch, batch=8, overrides=SAMPLED)
    assert _time(r) == pytest.approx(_time(ref), rel=0.035)
    for engine, busy in r.summary()["busy"].items():  # measured: at most 0.024 (MPCNN on DNPU's PU-f)
        assert busy == pytest.approx(ref.summary()["busy"][engine], abs=0.03)
    # the bias-corrected estimate and its 95 % interval (paired occurrences): the cycle-level time inside
    s = r.summary()
    low, high = s["time_s_ci95"]
    assert low <= _time(ref) <= high
    assert low < s["time_s_estimate"] < high
    assert r.stats["tnpu.sampled.paired_keys"] > 0
    assert r.stats["tnpu.sampled.critical_policy_tasks"] > 0


def test_energy_at_the_estimated_time(lenet_dadiannao) -> None:
    # the energy at the bias-corrected time (docs/sampling.md): what grows with time (static power, the DRAM's
    # background and refresh power as this run measured it) over the estimated time, the per-access energy as is
    ref, r = lenet_dadiannao
    s = r.summary()
    est = r.meta["energy_estimate"]
    power_w = r.stats["tnpu.sampled.dram_time_power"]
    # between the devices' precharged standby power and a few times it (DDR4-2133: two ranks of eight x8 devices,
    # IDD2N 33 mA at 1.2 V: 0.63 W)
    assert 0.5 < power_w < 3.0
    dt_ps = (s["time_s_estimate"] - s["time_s"]) * 1e12
    assert est["dram_j"] * 1e12 == pytest.approx(r.energy["dram"] + power_w * dt_ps, rel=1e-9)
    assert (s["energy_j_estimate"] - s["energy_j"]) * dt_ps > 0  # the whole energy moves with the time
    assert s["energy_paper_j_estimate"] != s["energy_paper_j"]
    # measured: DRAM energy -0.63 % at the simulated time, -0.27 % at the estimated one
    assert est["dram_j"] * 1e12 == pytest.approx(ref.energy["dram"], rel=0.01)
    assert ref.summary()["energy_j_estimate"] is None  # the cycle-level run has no estimate


def test_a_cheap_batch_is_simulated_wholly_in_detail_by_default() -> None:
    ref = tnpu.simulate("lenet5", "dnpu", batch=4)
    r = tnpu.simulate("lenet5", "dnpu", batch=4, overrides={"memory.model": "sampled"})
    assert r.stats["tnpu.sampled.fast_lines"] == 0
    assert (r.tasks["end_ps"] == ref.tasks["end_ps"]).all()
    assert r.meta["sampling"].startswith("all detailed")


def test_all_detailed_is_the_cycle_level_run_exactly() -> None:
    ref = tnpu.simulate("lenet5", "tnpu", batch=4)
    r = tnpu.simulate("lenet5", "tnpu", batch=4, overrides={**SAMPLED, "memory.sampling_fraction": 1.0})
    assert r.stats["tnpu.sampled.fast_lines"] == 0
    assert (r.tasks["start_ps"] == ref.tasks["start_ps"]).all()
    assert (r.tasks["end_ps"] == ref.tasks["end_ps"]).all()
    assert r.stats["tnpu.sampled.time_sigma"] == 0
    # the refreshes are counted at the rate measured after the first warm-up: 0.15 % on this short run
    assert r.energy["dram"] == pytest.approx(ref.energy["dram"], rel=3e-3)
    # no correction to make: the energy at the estimated time is the simulated energy
    assert r.summary()["energy_j_estimate"] == pytest.approx(r.summary()["energy_j"], rel=1e-12)


@pytest.mark.parametrize("design", ["periodic", "mix"])
def test_sampled_is_deterministic_and_reports_its_interval(design: str) -> None:
    ov = {**SAMPLED, "memory.sampling_design": design}
    a = tnpu.simulate("lenet5", "dnpu", batch=6, overrides=ov)
    b = tnpu.simulate("lenet5", "dnpu", batch=6, overrides=ov)
    assert (a.tasks == b.tasks).all()
    low, high = a.summary()["time_s_ci95"]
    assert low < a.summary()["time_s_estimate"] < high  # centred on the bias-corrected estimate
    assert a.summary()["time_s_ci95"] == b.summary()["time_s_ci95"]
    assert a.stats["tnpu.sampled.dram_energy"] == b.stats["tnpu.sampled.dram_energy"]


def test_cli_prints_the_interval(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--model", "lenet5", "--batch", "2", "--memory", "sampled", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)["summary"]
    assert s["memory_model"] == "sampled"
    assert len(s["time_s_ci95"]) == 2
    assert main(["run", "--model", "lenet5", "--batch", "2", "--memory", "sampled"]) == 0
    assert "95 % interval" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"memory.sampling_fraction": 0}, r"memory\.sampling_fraction: must be greater than 0"),
        ({"memory.sampling_fraction": 1.5}, r"memory\.sampling_fraction: must be in \(0, 1\]"),
        ({"memory.sampling_design": "random"}, r"memory\.sampling_design: .*'random'"),
        ({"memory.sampling_window_ps": 0}, r"memory\.sampling_window_ps: must be at least 1"),
        ({"memory.sampling_target_rel_se": 2}, r"memory\.sampling_target_rel_se: must be in \[0, 1\]"),
    ],
)
def test_bad_sampling_settings_are_named(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tnpu.simulate("lenet5", "tnpu", batch=1, overrides={**SAMPLED, **overrides})


@pytest.mark.slow  # two AlexNet batches: about 8 s, several times that under the sanitizers
def test_the_stopping_rule_thins_the_windows_and_keeps_the_estimate() -> None:
    """AlexNet b4 on TNPU: once a class's line times are precise enough (memory.sampling_target_rel_se), its windows
    thin to a tenth. Fewer windows, the same draw of paired occurrences, and an estimate inside the interval of the
    run without the rule (and the other way round). The switch counters add up by reason.
    """

    def run(target: float) -> tuple[dict, dict]:
        r = tnpu.simulate(
            "alexnet", "tnpu", batch=4, overrides={**SAMPLED, "memory.sampling_target_rel_se": target}
        )
        stats = {k.rsplit(".", 1)[1]: v for k, v in r.stats.items() if k.startswith("tnpu.sampled.switches")}
        return stats, r.summary()

    never, never_s = run(0.0)
    rule, rule_s = run(0.005)
    for st in (never, rule):
        reasons = st["switches_for_paired"] + st["switches_for_min_class"] + st["switches_for_window"]
        assert st["switches_to_detailed"] == reasons
    assert rule["switches_for_window"] < 0.5 * never["switches_for_window"]
    assert rule["switches_for_paired"] > 0
    assert never["switches_for_paired"] > 0
    low, high = never_s["time_s_ci95"]
    assert low <= rule_s["time_s_estimate"] <= high
    low, high = rule_s["time_s_ci95"]
    assert low <= never_s["time_s_estimate"] <= high


def test_a_setting_the_memory_model_does_not_read_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"memory\.bandwidth_gbps: memory model 'dram' does not use"):
        tnpu.simulate("lenet5", "tnpu", batch=1, overrides={"memory.bandwidth_gbps": 1})
    with pytest.raises(ConfigError, match=r"memory\.sampling_fraction: memory model 'fixed' does not use"):
        tnpu.simulate(
            "lenet5", "tnpu", batch=1, overrides={"memory.model": "fixed", "memory.sampling_fraction": 0.1}
        )


def test_stream_is_a_memory_model_from_python() -> None:
    r = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "stream"})
    s = r.summary()
    assert s["memory_model"].startswith("stream (ddr4-2133")
    assert r.meta["dram_peak_gbps"] == pytest.approx(17.064, rel=1e-3)  # against the DRAM's peak
    ref = tnpu.simulate("lenet5", "tnpu", batch=2)
    assert r.meta["dram_bytes_read"] == ref.meta["dram_bytes_read"]


@pytest.mark.parametrize("dram", ["hbm2", "lpddr4-3200", "ddr3-1600"])
@pytest.mark.parametrize("model", ["dram", "sampled"])
def test_any_dram_preset_works_with_any_accelerator(dram: str, model: str) -> None:
    # the DMA's request follows the DRAM's burst (32 B on HBM2); multi-channel DRAMs are used as they are
    r = tnpu.simulate("lenet5", "dadiannao", batch=1, overrides={"memory.model": model, "memory.dram": dram})
    assert r.summary()["time_s"] > 0
    assert r.meta["dram"] == dram


def test_an_explicit_request_size_that_does_not_fit_the_dram_is_named() -> None:
    with pytest.raises(ConfigError, match=r"dma\.request_bytes: 64 must equal the DRAM burst of 'hbm2'"):
        tnpu.simulate("lenet5", "tnpu", batch=1, overrides={"memory.dram": "hbm2", "dma.request_bytes": 64})


def test_reproduce_runs_on_the_sampled_model_and_reports_intervals() -> None:
    from tnpu.reproduce import format_report, reproduce

    rep = reproduce(["lenet5"], batch=2, bandwidths=(), workers=1)
    assert rep["setup"]["memory"] == "sampled"
    for r in rep["networks"]["lenet5"]["presets"].values():
        low, high = r["time_s_ci95"]
        assert low <= r["time_s"] <= high
    assert "95 % interval" in format_report(rep)


# The interval's construction (docs/sampling.md, "Error estimate"): the paired-occurrence estimator on schedules
# whose answer is worked out by hand.
def _estimate(
    key, detailed, spans, engine, deps=None, work_conserving=False, stratum=(), instance=()
) -> dict:
    from tnpu._core import _testing

    n = len(key)
    deps = deps or [[] for _ in range(n)]
    offsets = [0]
    for d in deps:
        offsets.append(offsets[-1] + len(d))
    return _testing.paired_estimate(
        key,
        detailed,
        [s for s, _ in spans],
        [e for _, e in spans],
        engine,
        offsets,
        [i for d in deps for i in d],
        work_conserving=work_conserving,
        stratum=list(stratum),
        instance=list(instance),
    )


def test_paired_estimate_one_pair_per_key_bounds_the_variance_by_the_squared_difference() -> None:
    # one engine, in series: A0 (detailed, 100) B0 (policy, 220) A1 (policy, 110) B1 (detailed, 200)
    e = _estimate(
        [1, 2, 1, 2], [True, False, False, True], [(0, 100), (100, 320), (320, 430), (430, 630)], [0] * 4
    )
    assert e["keys"] == 2
    assert e["critical_tasks"] == 4
    assert e["critical_policy_tasks"] == 2
    assert e["correction_ps"] == pytest.approx((110 - 100) + (220 - 200))
    assert e["variance_ps2"] == pytest.approx(10**2 + 20**2)


def test_paired_estimate_pools_the_variance_of_both_groups() -> None:
    # key 1 four times: detailed 100 and 104, policy 110 and 114 (bias 10 per policy occurrence; pooled variance
    # (4 + 4 + 4 + 4) / 2 = 8 per occurrence, times 1/2 + 1/2); both policy occurrences on the critical path
    spans, t = [], 0
    for d in (100, 110, 104, 114):
        spans.append((t, t + d))
        t += d
    e = _estimate([1] * 4, [True, False, True, False], spans, [0] * 4, deps=[[], [0], [1], [2]])
    assert e["correction_ps"] == pytest.approx(2 * 10)
    assert e["variance_ps2"] == pytest.approx(2**2 * 8)


def test_paired_estimate_counts_only_the_critical_path() -> None:
    # engine 0: key 1 detailed (0-100), then policy (100-250): the critical path; engine 1: key 2 detailed
    # (0-50), then policy (50-90), off the path (its -10 bias does not move the batch time)
    e = _estimate(
        [1, 1, 2, 2], [True, False, True, False], [(0, 100), (100, 250), (0, 50), (50, 90)], [0, 0, 1, 1]
    )
    assert e["keys"] == 2
    assert e["critical_tasks"] == 2
    assert e["critical_policy_tasks"] == 1
    assert e["correction_ps"] == pytest.approx(50)
    assert e["variance_ps2"] == pytest.approx(50**2)


def test_the_work_conserving_replay_lets_a_ready_task_pass_one_waiting_on_a_lengthened_dependency() -> None:
    # engine 0: key 1 detailed A0 (0-100), then policy A1 (100-150); engine 2: key 1 again, detailed B0 (0-102),
    # then policy B1 (102-154): key 1's bias is -50 (policy 51 against detailed 101 on average) with variance 2, so
    # A1 ends at 200 in the replay. Engine 1: Z (0-150), then X (150-160, waits for A1), then Y (160-300, ready
    # since A0 ended at 100, waited for its engine). Keeping the run's order, X starts at 200 and Y behind it (batch
    # +50); as the reorder scheduler runs, engine 1 takes Y when Z ends and X after it: the batch time does not
    # move. X's release is 50 after engine 1 frees, beyond 1.96 standard errors (1.96 * 2 ** 0.5): Y passes it.
    key = [1, 1, 5, 3, 4, 1, 1]
    detailed = [True, False, True, True, True, True, False]
    spans = [(0, 100), (100, 150), (0, 150), (150, 160), (160, 300), (0, 102), (102, 154)]
    engine = [0, 0, 1, 1, 1, 2, 2]
    deps = [[], [0], [], [1], [0], [], [5]]
    kept = _estimate(key, detailed, spans, engine, deps)
    assert kept["correction_ps"] == pytest.approx(-50)
    free = _estimate(key, detailed, spans, engine, deps, work_conserving=True)
    assert free["correction_ps"] == pytest.approx(0)
    assert free["critical_tasks"] == 3  # X after Y after Z: no policy occurrence on the path
    assert free["critical_policy_tasks"] == 0
    assert free["variance_ps2"] == 0
    # with no bias (every occurrence detailed) the replay is the run's schedule
    assert _estimate(key, [True] * 7, spans, engine, deps, work_conserving=True)["correction_ps"] == 0


def test_the_work_conserving_replay_keeps_the_runs_order_within_the_error_of_its_times() -> None:
    # The schedule above without engine 2: key 1's bias (-50) now rests on one pair, so its standard error is 50
    # (the squared difference). X's release, 50 after engine 1 frees, is within 1.96 of them: the corrected times
    # cannot tell whether X was ready, and the replay keeps the run's order (X, then Y: batch +50, as in order).
    key = [1, 1, 5, 3, 4]
    detailed = [True, False, True, True, True]
    spans = [(0, 100), (100, 150), (0, 150), (150, 160), (160, 300)]
    engine = [0, 0, 1, 1, 1]
    deps = [[], [0], [], [1], [0]]
    free = _estimate(key, detailed, spans, engine, deps, work_conserving=True)
    assert free["correction_ps"] == pytest.approx(-50)
    assert free["critical_policy_tasks"] == 1  # A1 binds X, which binds Y
    assert free["variance_ps2"] == pytest.approx(50**2)


def test_the_replays_margin_counts_only_the_biases_its_two_times_do_not_share() -> None:
    # engine 0: key 1 detailed A0 (0-100), policy A1 (100-150): bias -50 on one pair (variance 2500).
    # engine 2: key 2 detailed D1 (0-50) and D2 (50-102), policy W (150-161, after A1): bias -40, variance 3.
    # engine 1: P (0-150), L (150-161, after A1), X (161-171, after W), Y (171-300, after A0).
    # Replayed: A1 ends at 200, W at 251. At 150 engine 1 waits for L (released at 200: a margin of 50 within
    # 1.96 x 50), runs it 200-211, and then Y passes X: X's release (251) and engine 1's free time (211) both
    # follow A1, whose bias cancels in their difference; what is left is W's (margin 40 against 1.96 x 3 ** 0.5).
    # Y 211-340, X 340-350: batch +50. (Adding the two times' variances instead, 5003, X would be waited for too:
    # X 251-261, Y 261-390.)
    key = [1, 1, 2, 2, 2, 7, 6, 3, 4]
    detailed = [True, False, True, True, False, True, True, True, True]
    spans = [
        (0, 100),
        (100, 150),
        (0, 50),
        (50, 102),
        (150, 161),
        (0, 150),
        (150, 161),
        (161, 171),
        (171, 300),
    ]
    engine = [0, 0, 2, 2, 2, 1, 1, 1, 1]
    deps = [[], [0], [], [2], [1, 3], [], [1], [4], [0]]
    e = _estimate(key, detailed, spans, engine, deps, work_conserving=True)
    assert e["correction_ps"] == pytest.approx(-50)


def test_the_draw_is_seeded_and_runs_every_single_occurrence_in_detail() -> None:
    from tnpu._core import _testing

    keys = [1] * 50 + [2] * 50 + [3]
    inst = list(range(50)) * 2 + [2**32 - 1]
    a = _testing.draw_detailed_occurrences(keys, inst, 0.04, 1)
    assert a == _testing.draw_detailed_occurrences(keys, inst, 0.04, 1)
    assert sum(a[:50]) == 2
    assert sum(a[50:100]) == 2
    assert a[100]
    assert a != _testing.draw_detailed_occurrences(keys, inst, 0.04, 2)
    assert a[:50] != a[50:100]  # keys are drawn independently
    assert not any(_testing.draw_detailed_occurrences(keys, inst, 0.0, 1))


def test_signature_strata_compare_occurrences_within_instances() -> None:
    # Keys 1 and 2 have identical traffic (stratum 1). Every task runs 20 longer in instance 0 than in instance 1
    # (its company), and the pipes add 10: in detail A and B take 100 in instance 0 and 80 in instance 1. Held:
    # A0 and B1. Engine 0 runs instance 0 (A0 held 100, B0 policy 110), off the critical path; engine 1 runs X (a
    # key of its own, held, 200), then instance 1 (A1 policy 90, B1 held 80): the batch ends at 370, 360 in detail.
    key = [1, 2, 9, 1, 2]
    detailed = [True, False, True, False, True]
    spans = [(0, 100), (100, 210), (0, 200), (200, 290), (290, 370)]
    engine = [0, 0, 1, 1, 1]
    inst = [0, 0, 0, 1, 1]
    deps: list[list[int]] = [[], [0], [], [2], [3]]
    # per key, A1's only partner is A0, held in the slower instance: b = 90 - 100 = -10 lengthens A1 to 100
    by_key = _estimate(key, detailed, spans, engine, deps, work_conserving=True)
    assert by_key["correction_ps"] == pytest.approx(-10)
    assert by_key["variance_ps2"] == pytest.approx(10**2)
    # the stratum compares within instances: (110 - 100) and (90 - 80), weights 1/2 each: b = 10, as in truth
    stratum = [1, 1, 9, 1, 1]
    for wc in (False, True):
        e = _estimate(key, detailed, spans, engine, deps, work_conserving=wc, stratum=stratum, instance=inst)
        assert e["correction_ps"] == pytest.approx(10)
        assert e["matched_strata"] == 1
        # no spread within the cells (one occurrence per group): the bound sum w^2 d^2 / (sum w)^2 = 50, and A1
        # is the stratum's one policy occurrence on the critical path
        assert e["variance_ps2"] == pytest.approx((0.25 * 100 + 0.25 * 100) / 1.0)
    # the stratum without instances: whole groups, (110 + 90) / 2 - (100 + 80) / 2 = 10 as well, pooled variance
    whole = _estimate(key, detailed, spans, engine, deps, work_conserving=True, stratum=stratum)
    assert whole["matched_strata"] == 0
    assert whole["correction_ps"] == pytest.approx(10)
    # a stratum of one key with instances is the key's estimate
    alone = _estimate(key, detailed, spans, engine, deps, work_conserving=True, stratum=key, instance=inst)
    assert alone == by_key


def test_the_signature_draw_holds_a_stratums_keys_in_different_instances() -> None:
    from tnpu._core import _testing

    # stratum 1: keys 1, 2 and 3 over four instances, one held each (0.25): three different instances; key 7
    # alone is drawn exactly as without strata
    keys = [1] * 4 + [2] * 4 + [3] * 4 + [7] * 4
    inst = list(range(4)) * 4
    stratum = [1] * 12 + [7] * 4
    held_instances = []
    for seed in range(1, 41):
        d = _testing.draw_detailed_occurrences(keys, inst, 0.25, seed, stratum)
        assert d[12:] == _testing.draw_detailed_occurrences(keys, inst, 0.25, seed)[12:]
        assert [sum(d[4 * k : 4 * k + 4]) for k in range(4)] == [1, 1, 1, 1]
        held = [d.index(True, 4 * k) - 4 * k for k in range(3)]
        assert len(set(held)) == 3
        held_instances.append(held[0])
    # each key's held instance is still a random draw
    assert set(held_instances) == {0, 1, 2, 3}
