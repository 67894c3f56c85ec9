"""plan_endpoints reads the live endpoints concurrently (``--jobs``), in name order,
and raises the first error of the reads."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from servingops.errors import Unauthenticated
from servingops.model import EndpointSpec
from servingops.plan import plan_endpoints


def spec(name: str) -> EndpointSpec:
    return EndpointSpec.from_mapping(
        {
            "name": name,
            "tier": "external",
            "task": "llm/v1/chat",
            "served_entities": [
                {
                    "name": "gpt",
                    "external_model": {
                        "provider": "openai",
                        "name": "gpt-4o-mini",
                        "openai_config": {"openai_api_key": "{{secrets/s/k}}"},
                    },
                }
            ],
        },
        source=f"endpoints/{name}.yaml",
    )


@dataclass
class Gate:
    """find_endpoint answers "absent" only once ``width`` reads wait at the same time."""

    width: int
    barrier: threading.Barrier = field(init=False)
    fail: str = ""
    alone: str = ""
    """The one name whose read must run alone: no other read has started."""
    started: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.barrier = threading.Barrier(self.width, timeout=5)

    def find_endpoint(self, name: str) -> dict[str, Any] | None:
        self.started.append(name)
        if name == self.alone:
            time.sleep(0.05)  # room for a read started alongside to show up
            assert self.started == [name]
        if name == self.fail:
            raise Unauthenticated("401", status=401, code="", method="GET", url="u")
        if name != self.alone:
            self.barrier.wait()  # BrokenBarrierError if the reads ran one after another
        return None


def test_the_first_read_runs_alone_then_the_rest_overlap_in_name_order() -> None:
    specs = [spec(f"e{i}") for i in (3, 1, 0, 4, 2)]
    gate = Gate(width=4)
    gate.alone = "e0"
    items = plan_endpoints(gate, specs, jobs=4)
    assert [(i.name, i.verdict, i.source) for i in items] == [
        (f"e{i}", "create", f"endpoints/e{i}.yaml") for i in range(5)
    ]


def test_a_failing_first_read_stops_before_the_others() -> None:
    gate = Gate(width=2, fail="e0")
    with pytest.raises(Unauthenticated):
        plan_endpoints(gate, [spec("e0"), spec("e1"), spec("e2")], jobs=2)
    assert gate.started == ["e0"]


def test_the_first_read_error_in_name_order_is_raised() -> None:
    with pytest.raises(Unauthenticated):
        plan_endpoints(Gate(width=1, fail="e1"), [spec("e0"), spec("e1"), spec("e2")], jobs=2)
