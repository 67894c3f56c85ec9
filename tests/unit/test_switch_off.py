"""Switch-off: a file whose AI gateway sets ``calls: 0`` or ``tokens: 0`` (no principal)
disables its endpoint on purpose (every query gets 403, control-plane-api.md §5), so the
smoke check sends nothing and says so instead of failing (issue 10)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from servingops.model import EndpointSpec
from servingops.smoke import run_smoke

BASE: dict[str, Any] = {
    "name": "chat",
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
}


def _spec(*limits: dict[str, Any]) -> EndpointSpec:
    raw = copy.deepcopy(BASE)
    raw["ai_gateway"] = {"rate_limits": list(limits)}
    return EndpointSpec.from_mapping(raw)


def _limit(**keys: Any) -> dict[str, Any]:
    return {"key": "endpoint", "renewal_period": "minute", **keys}


@pytest.mark.parametrize(
    ("limits", "off"),
    [
        ([_limit(calls=0)], True),
        ([_limit(tokens=0)], True),
        ([_limit(key="user", calls=0)], True),
        ([_limit(calls=10), _limit(tokens=0)], True),
        ([_limit(calls=10)], False),
        ([_limit(tokens=1000)], False),
        ([_limit(key="service_principal", principal="sp-1", calls=0)], False),
        ([], False),
    ],
)
def test_switched_off_predicate(limits: list[dict[str, Any]], off: bool) -> None:
    assert _spec(*limits).switched_off is off


def test_no_gateway_is_not_switched_off() -> None:
    assert EndpointSpec.from_mapping(copy.deepcopy(BASE)).switched_off is False


class _NeverQueried:
    def query_endpoint(self, *_: Any, **__: Any) -> Any:
        raise AssertionError("a switched-off endpoint must not be smoke-queried")


@pytest.mark.parametrize("key", ["calls", "tokens"])
def test_switched_off_endpoint_is_not_smoke_queried(key: str) -> None:
    assert run_smoke(_NeverQueried(), _spec(_limit(**{key: 0}))) == []
