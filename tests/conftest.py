"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def sim():
    import tnpu

    return tnpu.Simulator()


def pytest_report_header(config):
    # Which tnpu the tests import (the tree's python/tnpu through an editable install, or an installed wheel).
    import tnpu
    from tnpu import _core

    return [f"tnpu: {Path(tnpu.__file__).parent} (core: {_core.__file__}, {_core.build_type})"]
