"""Global buffer: capacity as a hard constraint (shared pool and per-operand partitions), access counts in words."""

from __future__ import annotations

import pytest

from tnpu import _core
from tnpu.errors import ConfigError


def config(**kw) -> _core.SramBufferConfig:
    c = _core.SramBufferConfig()
    for key, value in kw.items():
        setattr(c, key, value)
    return c


def test_shared_pool_with_double_buffering():
    b = _core.SramBuffer(config(name="gb", capacity_bytes=1000, double_buffering=True))
    b.reserve("layer 'x' FP", 100, 200, 200)  # 2 x 500 = 1000 fits exactly
    with pytest.raises(ConfigError, match=r"layer 'x' FP: buffer 'gb' \(capacity_bytes=1000\).*need 1002 B"):
        b.reserve("layer 'x' FP", 100, 200, 201)
    single = _core.SramBuffer(config(capacity_bytes=1000, double_buffering=False))
    single.reserve("l", 500, 300, 200)


def test_partitions_name_the_operand():
    b = _core.SramBuffer(config(name="gb", capacity_bytes=1000, shared=False, double_buffering=False))
    b.reserve("l", 250, 500, 250)
    with pytest.raises(ConfigError, match=r"the filter partition of 500 B cannot hold 1 x 501 B"):
        b.reserve("l", 10, 501, 10)


def test_bad_config_names_the_field():
    with pytest.raises(ConfigError, match=r"buffer\.word_bytes"):
        _core.SramBuffer(config(word_bytes=0))
    with pytest.raises(ConfigError, match=r"buffer\.ifmap_fraction"):
        _core.SramBuffer(config(shared=False, ifmap_fraction=0.0))


def test_counts_are_whole_words_per_operand():
    b = _core.SramBuffer(config(word_bytes=16))
    b.count_read("ifmap", 33)  # 3 words
    b.count_read("ifmap", 16)
    b.count_write("ofmap", 1)
    assert (b.reads("ifmap"), b.reads("filter"), b.writes("ofmap")) == (4, 0, 1)
    with pytest.raises(ConfigError, match="expected ifmap, filter or ofmap"):
        b.reads("psum")
