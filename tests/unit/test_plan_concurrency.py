"""plan_endpoints reads the live endpoints concurrently (``--jobs``), in name order,
and raises the first error of the reads."""

from __future__ import annotations

import threading
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

    def __post_init__(self) -> None:
        self.barrier = threading.Barrier(self.width, timeout=5)

    def find_endpoint(self, name: str) -> dict[str, Any] | None:
        if name == self.fail:
            raise Unauthenticated("401", status=401, code="", method="GET", url="u")
        self.barrier.wait()  # BrokenBarrierError if the reads ran one after another
        return None


def test_reads_overlap_up_to_jobs_and_keep_name_order() -> None:
    specs = [spec(f"e{i}") for i in (3, 1, 0, 2)]
    items = plan_endpoints(Gate(width=4), specs, jobs=4)
    assert [(i.name, i.verdict, i.source) for i in items] == [
        (f"e{i}", "create", f"endpoints/e{i}.yaml") for i in range(4)
    ]


def test_the_first_read_error_is_raised() -> None:
    with pytest.raises(Unauthenticated):
        plan_endpoints(Gate(width=1, fail="e0"), [spec("e0"), spec("e1")], jobs=2)
