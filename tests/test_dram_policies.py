"""The DRAM channel's registered policies (cpp/include/tnpu/mem/dram/policies.hpp): listed with descriptions and
parameters, selected by DramConfig fields, unknown names refused with the known ones and the nearest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tnpu import _core
from tnpu.dram import DramConfig, replay_dram
from tnpu.errors import ConfigError

AREAS = {
    "DRAM scheduler": ("scheduler", {"fr_fcfs", "per_bank_round_robin"}),
    "DRAM row policy": ("page_policy", {"open", "closed"}),
    "DRAM refresh policy": ("refresh_policy", {"rank_staggered", "all_ranks", "none"}),
    "DRAM refresh precharge": ("refresh_precharge", {"all", "per_bank"}),
    "DRAM write drain": ("write_drain", {"watermark", "dramsim3"}),
}


def test_every_area_is_listed_with_descriptions_and_parameters() -> None:
    regs = _core.dram_policy_registries()
    assert set(regs) == set(AREAS)
    fields = set(DramConfig.model_fields())
    for area, (field, names) in AREAS.items():
        assert field in fields
        assert {e["name"] for e in regs[area]} == names
        for e in regs[area]:
            assert e["description"], (area, e["name"])
            for p in e["params"]:
                assert p["name"] in fields, (area, e["name"], p["name"])  # parameters are DramConfig fields
                assert p["description"]


@pytest.mark.parametrize("area", sorted(AREAS))
def test_every_registered_name_is_accepted(area: str) -> None:
    field, names = AREAS[area]
    for name in names:
        overrides: dict[str, object] = {field: name}
        if field == "scheduler" and name == "per_bank_round_robin":
            overrides["bank_queue_size"] = 8
        DramConfig(**overrides).validate()  # type: ignore[arg-type]


def test_unknown_name_lists_the_known_ones_and_the_nearest() -> None:
    with pytest.raises(
        ConfigError, match=r"dram\.page_policy: unknown DRAM row policy 'closd' .*did you mean 'closed'"
    ):
        DramConfig(page_policy="closd").validate()
    with pytest.raises(ConfigError, match=r"dram\.scheduler: unknown DRAM scheduler 'frfcfs'.*'fr_fcfs'\?"):
        DramConfig(scheduler="frfcfs").validate()
    with pytest.raises(
        ConfigError, match=r"known: auto, fr_fcfs, per_bank_round_robin.*did you mean 'auto'\?"
    ):
        DramConfig(scheduler="autoo").validate()


def test_scheduler_must_agree_with_bank_queue_size() -> None:
    with pytest.raises(ConfigError, match="per_bank_round_robin needs bank_queue_size > 0"):
        DramConfig(scheduler="per_bank_round_robin").validate()
    with pytest.raises(ConfigError, match="fr_fcfs uses the shared queues; bank_queue_size must be 0"):
        DramConfig(scheduler="fr_fcfs", bank_queue_size=8).validate()


@pytest.mark.parametrize(("scheduler", "bank_queue_size"), [("fr_fcfs", 0), ("per_bank_round_robin", 8)])
def test_explicit_scheduler_is_auto(tmp_path: Path, scheduler: str, bank_queue_size: int) -> None:
    """Naming the scheduler gives exactly what 'auto' picks from bank_queue_size."""
    trace = tmp_path / "t.trace"
    trace.write_text(
        "".join(
            f"0x{(i * 7919 % 4096) * 64:x} {'WRITE' if i % 3 == 0 else 'READ'} {i}\n" for i in range(2000)
        )
    )
    cfg = DramConfig(bank_queue_size=bank_queue_size)
    auto = replay_dram(trace, cfg)
    named = replay_dram(trace, cfg.replace(scheduler=scheduler))
    assert (named.cycles, named.avg_read_latency_cycles) == (auto.cycles, auto.avg_read_latency_cycles)
