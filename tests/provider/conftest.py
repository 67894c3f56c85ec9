"""Fixtures for reconciler tests (see ``reconcile_world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plane_testing import FakeClock as PlaneClock
from plane_testing import running_plane
from reconcile_world import SharedClock, World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    plane_clock = PlaneClock()
    with running_plane(
        tmp_path,
        clock=plane_clock,
        settle_seconds=3,
        pt_settle_seconds=20,
        shuffle_entities=True,
        seed=3,
    ) as plane:
        w = World(plane, SharedClock(plane_clock))
        yield w
        w.client.close()
        w.http.close()
