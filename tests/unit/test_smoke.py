"""Smoke checks with a scripted querier: request shape, answer shape, expect, redaction,
and re-sending queries that met a 429, a 503 or no connection."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from servingops.errors import ControlPlaneUnreachable, SmokeFailed
from servingops.model import EndpointSpec, SmokeSpec
from servingops.smoke import SmokeRetry, build_request, raise_on_failure, run_smoke

KEY = "sk-PLAINTEXT-0123456789"


@dataclass
class Answer:
    status: int
    json: Any
    text: str = ""
    served_model_name: str | None = None
    latency_ms: float = 10.0
    retry_after: float | None = None


@dataclass
class Querier:
    """Answers from a script (the last answer repeats); exceptions are raised."""

    answer: Answer | Exception
    more: tuple[Answer | Exception, ...] = ()
    calls: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    clock: FakeClock = field(default_factory=FakeClock)

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> Answer:
        self.calls.append((name, body, entity))
        script = (self.answer, *self.more)
        answer = script[min(len(self.calls), len(script)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


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


def test_a_missing_expect_contains_never_echoes_a_key_the_model_answered() -> None:
    # a 200 whose content echoes the key (a prompt injection, a debugging proxy): the
    # problem quotes the content, and it went unredacted into text, GitHub and JUnit
    echoed = {"choices": [{"message": {"role": "assistant", "content": f"my key is {KEY}"}}]}
    [outcome] = run_smoke(Querier(Answer(200, echoed)), _spec(expect={"contains": "OK"}))
    assert "does not contain 'OK'" in outcome.problem
    assert KEY not in outcome.describe() and "(hidden)" in outcome.problem


def test_disabled_smoke_sends_nothing() -> None:
    querier = Querier(Answer(200, CHAT_OK))
    assert run_smoke(querier, _spec(enabled=False)) == [] and querier.calls == []


# -- transient failures are sent again -------------------------------------------------------


def unreachable(cause: Exception) -> ControlPlaneUnreachable:
    err = ControlPlaneUnreachable(f"cannot reach the control plane: {cause}")
    err.__cause__ = cause
    return err


def test_a_503_is_sent_again_and_the_outcome_counts_the_tries() -> None:
    querier = Querier(
        Answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE"}), (Answer(200, CHAT_OK),)
    )
    [outcome] = run_smoke(querier, _spec())
    assert outcome.ok and outcome.tries == 2 and outcome.status == 200
    assert querier.clock.sleeps == [1.0]  # the client's clock, shared by default


def test_a_429_storm_fails_after_three_tries_honouring_retry_after() -> None:
    clock = FakeClock()
    querier = Querier(Answer(429, {"error_code": "REQUEST_LIMIT_EXCEEDED"}, retry_after=4))
    [outcome] = run_smoke(querier, _spec(), clock=clock)
    assert not outcome.ok and outcome.tries == 3 and len(querier.calls) == 3
    assert clock.sleeps == [4.0, 4.0]
    assert "chat (route): HTTP 429, 10 ms, after 3 tries" in outcome.describe()


def test_retry_after_is_capped_and_backoff_doubles() -> None:
    clock = FakeClock()
    querier = Querier(Answer(429, {}, retry_after=3600), (Answer(503, {}),))
    run_smoke(querier, _spec(), clock=clock, retry=SmokeRetry(tries=4))
    assert clock.sleeps == [10.0, 2.0, 4.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_other_errors_are_judged_at_once(status: int) -> None:
    querier = Querier(Answer(status, {"error_code": "X"}), (Answer(200, CHAT_OK),))
    [outcome] = run_smoke(querier, _spec())
    assert not outcome.ok and outcome.tries == 1 and querier.clock.sleeps == []


def test_a_dropped_connection_is_sent_again() -> None:
    dropped = unreachable(httpx.RemoteProtocolError("closed"))
    querier = Querier(dropped, (dropped, Answer(200, CHAT_OK)))
    [outcome] = run_smoke(querier, _spec())
    assert outcome.ok and outcome.tries == 3


def test_no_answer_at_all_is_a_failed_outcome_with_status_0() -> None:
    querier = Querier(unreachable(httpx.ConnectError(f"refused, key {KEY}")))
    outcomes = run_smoke(querier, _spec())
    [outcome] = outcomes
    assert (outcome.ok, outcome.status, outcome.tries) == (False, 0, 3)
    assert outcome.problem.startswith("no answer: cannot reach the control plane: refused")
    assert KEY not in outcome.problem
    with pytest.raises(SmokeFailed, match=r"chat \(route\): HTTP 0"):
        raise_on_failure(outcomes)


def test_a_timed_out_query_is_not_sent_again() -> None:
    querier = Querier(unreachable(httpx.ReadTimeout("slow")), (Answer(200, CHAT_OK),))
    [outcome] = run_smoke(querier, _spec())
    assert (outcome.ok, outcome.tries, len(querier.calls)) == (False, 1, 1)
