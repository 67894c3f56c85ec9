"""Smoke checks with a scripted querier: request shape, answer shape, expect, redaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from servingops.errors import SmokeFailed
from servingops.model import EndpointSpec, SmokeSpec
from servingops.smoke import build_request, raise_on_failure, run_smoke

KEY = "sk-PLAINTEXT-0123456789"


@dataclass
class Answer:
    status: int
    json: Any
    text: str = ""
    served_model_name: str | None = None
    latency_ms: float = 10.0


@dataclass
class Querier:
    answer: Answer
    calls: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> Answer:
        self.calls.append((name, body, entity))
        return self.answer


def _spec(task: str = "llm/v1/chat", **smoke: Any) -> EndpointSpec:
    entity = {
        "name": "gpt",
        "external_model": {
            "provider": "openai",
            "name": "gpt-4o-mini",
            "openai_config": {"openai_api_key_plaintext": KEY},
        },
    }
    raw = {
        "name": "chat",
        "tier": "external",
        "task": task,
        "served_entities": [entity],
        "smoke": smoke,
    }
    return EndpointSpec.from_mapping(copy.deepcopy(raw))


CHAT_OK = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}


def test_requests_are_task_shaped_and_cheap() -> None:
    smoke = SmokeSpec(max_tokens=2)
    assert build_request("llm/v1/chat", smoke) == {
        "max_tokens": 2,
        "temperature": 0,
        "messages": [{"role": "user", "content": smoke.prompt}],
    }
    assert build_request("llm/v1/completions", smoke)["prompt"] == smoke.prompt
    assert build_request("llm/v1/embeddings", SmokeSpec(input="hi")) == {"input": "hi"}


def test_route_and_each_entity_are_queried_with_per_entity() -> None:
    querier = Querier(Answer(200, CHAT_OK))
    outcomes = run_smoke(querier, _spec(per_entity=True))
    assert [c[2] for c in querier.calls] == [None, "gpt"]
    assert all(o.ok for o in outcomes)


@pytest.mark.parametrize(
    ("task", "body", "smoke", "problem"),
    [
        ("llm/v1/chat", {"choices": []}, {}, "chat answer has no choices"),
        ("llm/v1/chat", CHAT_OK, {"expect": {"contains": "YES"}}, "does not contain 'YES'"),
        ("llm/v1/completions", {"choices": [{"x": 1}]}, {}, "has no text"),
        (
            "llm/v1/embeddings",
            {"data": [{"embedding": [0.1, 0.2]}]},
            {"expect": {"dimension": 3}},
            "embedding has 2 dimensions, expected 3",
        ),
        ("llm/v1/embeddings", {"data": [{"embedding": ["a"]}]}, {}, "non-numbers"),
    ],
)
def test_wrong_answers_fail_with_a_reason(
    task: str, body: dict[str, Any], smoke: dict[str, Any], problem: str
) -> None:
    [outcome] = run_smoke(Querier(Answer(200, body)), _spec(task, **smoke))
    assert problem in outcome.problem


def test_latency_over_the_limit_fails() -> None:
    answer = Answer(200, CHAT_OK, latency_ms=900)
    [outcome] = run_smoke(Querier(answer), _spec(expect={"max_latency_ms": 500}))
    assert "took 900 ms, more than expect.max_latency_ms 500" in outcome.problem


def test_failure_names_endpoint_status_and_never_echoes_a_key() -> None:
    echo = {"error_code": "BAD", "message": f"upstream rejected key {KEY}"}
    outcomes = run_smoke(Querier(Answer(401, echo)), _spec(per_entity=True))
    with pytest.raises(SmokeFailed) as err:
        raise_on_failure(outcomes)
    text = str(err.value)
    assert "chat (route): HTTP 401" in text and "chat/gpt: HTTP 401" in text
    assert KEY not in text and "(hidden)" in text


def test_disabled_smoke_sends_nothing() -> None:
    querier = Querier(Answer(200, CHAT_OK))
    assert run_smoke(querier, _spec(enabled=False)) == [] and querier.calls == []
