"""The DRAM model's Python side: configuration, presets, config-file readers and trace replay.

The timing model itself is C++ (``tnpu._core.DramController``); this package builds its ``DramSpec`` and reads
the files users already have (DRAMsim3 ``.ini``, Ramulator 1 ``.cfg``, our TOML presets).
"""

from tnpu.dram.config import DramConfig
from tnpu.dram.derive import dram_at_peak_bandwidth
from tnpu.dram.presets import list_dram_presets, load_dram_config
from tnpu.dram.readers import read_dramsim3_ini, read_ramulator1_cfg
from tnpu.dram.replay import DramReplayResult, register_replay_target, replay_dram

# The replay target "dram" of tnpu.traces is registered by tnpu.traces itself when it is imported (it imports this
# package): importing tnpu.dram alone does not import tnpu.traces and numpy (start-up of `tnpu replay dram`).

__all__ = [
    "DramConfig",
    "DramReplayResult",
    "dram_at_peak_bandwidth",
    "list_dram_presets",
    "load_dram_config",
    "read_dramsim3_ini",
    "read_ramulator1_cfg",
    "register_replay_target",
    "replay_dram",
]
