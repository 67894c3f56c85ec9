"""wait_until_settled: settles, fails fast with entity messages, times out at the deadline."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import FakeClock

from servingops.errors import NotFound, UpdateFailed, UsageError, WaitTimeout
from servingops.waiter import default_deadline, describe_state, wait_until_settled


class ZeroJitter:
    def random(self) -> float:
        return 0.0


def endpoint(config_update: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "chat",
        "state": {"config_update": config_update, "ready": "NOT_READY"},
        **extra,
    }


class FakeEndpoints:
    """Answers get_endpoint from a list of states (the last one repeats)."""

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers = list(answers)
        self.polls = 0

    def get_endpoint(self, name: str) -> dict[str, Any]:
        assert name == "chat"
        self.polls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def wait(fake: FakeEndpoints, clock: FakeClock, deadline_s: float = 600, **kw: Any) -> Any:
    return wait_until_settled(
        fake, "chat", deadline_s=deadline_s, clock=clock, rng=ZeroJitter(), **kw
    )


def test_returns_at_once_when_not_updating() -> None:
    clock = FakeClock()
    settled = endpoint("NOT_UPDATING")
    assert wait(FakeEndpoints(settled), clock) == settled
    assert clock.sleeps == []


def test_polls_with_linear_backoff_capped_at_ten_seconds() -> None:
    clock = FakeClock()
    busy = [endpoint("IN_PROGRESS")] * 12
    fake = FakeEndpoints(*busy, endpoint("NOT_UPDATING"))
    seen: list[str] = []
    result = wait(fake, clock, on_progress=lambda e: seen.append(e["state"]["config_update"]))
    assert result["state"]["config_update"] == "NOT_UPDATING"
    assert clock.sleeps == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]
    assert seen == ["IN_PROGRESS"] * 12
    assert fake.polls == 13


def test_jitter_comes_from_the_rng() -> None:
    class Quarter:
        def random(self) -> float:
            return 0.25

    clock = FakeClock()
    fake = FakeEndpoints(endpoint("IN_PROGRESS"), endpoint("NOT_UPDATING"))
    wait_until_settled(fake, "chat", deadline_s=60, clock=clock, rng=Quarter())
    assert clock.sleeps == [1.25]


def test_update_failed_fails_fast_with_each_entity_message() -> None:
    clock = FakeClock()
    failed = endpoint(
        "UPDATE_FAILED",
        config={"config_version": 1, "served_entities": [{"name": "old"}]},
        pending_config={
            "config_version": 2,
            "served_entities": [
                {
                    "name": "gpt",
                    "state": {
                        "deployment": "DEPLOYMENT_FAILED",
                        "deployment_state_message": "Invalid API key for provider openai",
                    },
                },
                {"name": "claude", "state": {"deployment": "DEPLOYMENT_ABORTED"}},
            ],
        },
    )
    fake = FakeEndpoints(endpoint("IN_PROGRESS"), failed)
    with pytest.raises(UpdateFailed) as caught:
        wait(fake, clock)
    text = str(caught.value)
    assert fake.polls == 2 and clock.sleeps == [1]
    assert "endpoint 'chat': config update failed (UPDATE_FAILED) after 1 s" in text
    assert "served entity 'gpt' (DEPLOYMENT_FAILED): Invalid API key for provider openai" in text
    assert "served entity 'claude' (DEPLOYMENT_ABORTED): no message" in text
    assert "'old'" not in text
    assert "pending_config.config_version=2" in text
    assert "pulumi up" in caught.value.hint


def test_update_canceled_uses_config_entities_when_nothing_is_pending() -> None:
    canceled = endpoint(
        "UPDATE_CANCELED",
        config={"served_entities": [{"name": "e", "state": {"deployment_state_message": "x"}}]},
    )
    with pytest.raises(UpdateFailed) as caught:
        wait(FakeEndpoints(canceled), FakeClock())
    assert "was cancelled (UPDATE_CANCELED)" in str(caught.value)
    assert "served entity 'e'" in str(caught.value)
    assert "cancelled" in caught.value.hint


def test_entity_messages_are_redacted() -> None:
    failed = endpoint(
        "UPDATE_FAILED",
        config={
            "served_entities": [
                {"name": "e", "state": {"deployment_state_message": "rejected Bearer abc123xyz"}}
            ]
        },
    )
    with pytest.raises(UpdateFailed) as caught:
        wait(FakeEndpoints(failed), FakeClock())
    assert "abc123xyz" not in str(caught.value)


KEY = "sk-plaintext-0123456789abcdef"  # not credential-shaped: only the secrets list hides it


def test_update_failed_redacts_the_secrets_of_the_request() -> None:
    entity = {"name": "gpt", "state": {"deployment_state_message": f"key {KEY} is invalid"}}
    failed = endpoint("UPDATE_FAILED", pending_config={"served_entities": [entity]})
    with pytest.raises(UpdateFailed) as caught:
        wait(FakeEndpoints(failed), FakeClock(), secrets=(KEY,))
    assert KEY not in str(caught.value)
    assert "served entity 'gpt' (no deployment state): key (hidden) is invalid" in str(caught.value)


def test_wait_timeout_redacts_the_secrets_of_the_request() -> None:
    entity = {"name": "gpt", "state": {"deployment_state_message": f"validating {KEY}"}}
    stuck = endpoint("IN_PROGRESS", pending_config={"served_entities": [entity]})
    with pytest.raises(WaitTimeout) as caught:
        wait(FakeEndpoints(stuck), FakeClock(), deadline_s=3, secrets=(KEY,))
    assert KEY not in str(caught.value) and "validating (hidden)" in str(caught.value)


def test_an_error_from_polling_is_redacted_in_place() -> None:
    gone = NotFound(f"gone {KEY}", status=404, code="X", method="GET", url="u", hint=KEY)
    with pytest.raises(NotFound) as caught:
        wait(FakeEndpoints(gone), FakeClock(), secrets=(KEY,))
    assert caught.value is gone
    assert KEY not in str(caught.value) + repr(caught.value.args) + caught.value.hint


def test_describe_state_redacts_secrets() -> None:
    body = {"state": {"config_update": "IN_PROGRESS", "ready": f"NOT_READY: {KEY}"}}
    assert describe_state(body, (KEY,)) == "config_update=IN_PROGRESS, ready=NOT_READY: (hidden)"


def test_times_out_at_the_deadline_with_the_last_state() -> None:
    clock = FakeClock()
    stuck = endpoint(
        "IN_PROGRESS",
        pending_config={
            "served_entities": [
                {
                    "name": "pt",
                    "state": {
                        "deployment": "DEPLOYMENT_CREATING",
                        "deployment_state_message": "Scaling up",
                    },
                }
            ]
        },
    )
    fake = FakeEndpoints(stuck)
    with pytest.raises(WaitTimeout) as caught:
        wait(fake, clock, deadline_s=30)
    assert clock.slept == pytest.approx(30)
    assert clock.sleeps == [1, 2, 3, 4, 5, 6, 7, 2]
    text = str(caught.value)
    assert "endpoint 'chat' did not settle within 30 s (waited 30 s)" in text
    assert "config_update=IN_PROGRESS, ready=NOT_READY" in text
    assert "served entity 'pt' (DEPLOYMENT_CREATING): Scaling up" in text
    assert "deadline" in caught.value.hint


def test_zero_deadline_polls_once() -> None:
    fake = FakeEndpoints(endpoint("IN_PROGRESS"))
    with pytest.raises(WaitTimeout):
        wait(fake, FakeClock(), deadline_s=0)
    assert fake.polls == 1


def test_a_missing_state_keeps_polling_until_the_deadline() -> None:
    fake = FakeEndpoints({"name": "chat"})
    with pytest.raises(WaitTimeout) as caught:
        wait(fake, FakeClock(), deadline_s=5)
    assert "config_update=unknown" in str(caught.value)


def test_errors_from_get_propagate() -> None:
    gone = NotFound("gone", status=404, code="RESOURCE_DOES_NOT_EXIST", method="GET", url="u")
    with pytest.raises(NotFound):
        wait(FakeEndpoints(endpoint("IN_PROGRESS"), gone), FakeClock())


def test_describe_state() -> None:
    body = endpoint("NOT_UPDATING", config={"config_version": 3})
    assert (
        describe_state(body)
        == "config_update=NOT_UPDATING, ready=NOT_READY, config.config_version=3"
    )


@pytest.mark.parametrize(
    ("tier", "seconds"), [("external", 600), ("provisioned", 2700), ("pay-per-token", 0)]
)
def test_default_deadline(tier: str, seconds: float) -> None:
    assert default_deadline(tier) == seconds


def test_default_deadline_overrides_and_unknown_tier() -> None:
    assert default_deadline("provisioned", {"provisioned": 3600}) == 3600
    assert default_deadline("external", {"provisioned": 3600}) == 600
    with pytest.raises(UsageError, match="unknown tier 'gpu'"):
        default_deadline("gpu")
