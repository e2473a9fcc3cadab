"""The DRAM channel's registered policies (cpp/include/tnpu/mem/dram/policies.hpp): listed with descriptions and
parameters, selected by DramConfig fields, unknown names refused with the known ones and the nearest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tnpu import _core, registry
from tnpu.dram import DramConfig, replay_dram
from tnpu.errors import ConfigError

AREAS = {
    "dram_scheduler": ("scheduler", {"fr_fcfs", "per_bank_round_robin"}),
    "dram_row_policy": ("page_policy", {"open", "closed"}),
    "dram_refresh_policy": ("refresh_policy", {"rank_staggered", "all_ranks", "none"}),
    "dram_refresh_precharge": ("refresh_precharge", {"all", "per_bank"}),
    "dram_write_drain": ("write_drain", {"watermark", "dramsim3"}),
}


def test_every_area_is_listed_with_descriptions_and_parameters() -> None:
    spec = _core.DramSpec()
    fields = set(DramConfig.model_fields())
    for area, (field, names) in AREAS.items():
        assert field in fields
        entries = registry.registry()[area]
        assert {e.name for e in entries} == names
        for e in entries:
            assert e.description, (area, e.name)
            for p in e.params:
                name = p.name.removeprefix("dram.")
                assert name in fields, (area, e.name, p.name)  # parameters are DramConfig fields
                value = getattr(spec, name)
                if isinstance(value, bool):
                    assert p.default == str(value).lower()
                elif isinstance(value, float):
                    assert float(p.default) == value
                else:
                    assert p.default == str(value), (area, e.name, p.name)  # the DramSpec default


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
