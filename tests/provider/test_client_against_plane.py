"""ControlPlaneClient and the waiter against a real local plane served on 127.0.0.1.

The plane runs on a fake clock; the client's clock is the same clock, so every backoff
sleep of the client or the waiter moves the plane's time forward instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from plane_testing import FakeClock, RunningPlane, running_plane

from servingops.client import ControlPlaneClient
from servingops.errors import (
    Conflict,
    ControlPlaneUnreachable,
    NotFound,
    Unauthenticated,
    UpdateFailed,
)
from servingops.waiter import wait_until_settled

PLAINTEXT = "sk-sentinel-plaintext-5e6f"


class SharedTime:
    """A servingops ``Clock`` on the plane's fake clock: sleeping advances the plane."""

    def __init__(self, plane_clock: FakeClock) -> None:
        self.plane_clock = plane_clock
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.plane_clock()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.plane_clock.advance(seconds)


class ZeroJitter:
    def random(self) -> float:
        return 0.0


@pytest.fixture
def plane_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def plane(tmp_path: Path, plane_clock: FakeClock) -> Iterator[RunningPlane]:
    with running_plane(
        tmp_path,
        clock=plane_clock,
        settle_seconds=3,
        seed_pay_per_token=False,
        client_id="sp-app-id",
        client_secret="sp-sentinel-secret",
    ) as running:
        yield running


@pytest.fixture
def time(plane_clock: FakeClock) -> SharedTime:
    return SharedTime(plane_clock)


@pytest.fixture
def client(plane: RunningPlane, time: SharedTime) -> Iterator[ControlPlaneClient]:
    with ControlPlaneClient.from_env(
        host=plane.url, token=plane.token, env={}, clock=time, rng=ZeroJitter(), timeout=10
    ) as c:
        yield c


def entity(name: str, provider: str, model: str, **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "external_model": {
            "provider": provider,
            "name": model,
            "task": "llm/v1/chat",
            f"{provider}_config": config,
        },
    }


GPT = entity("gpt", "openai", "gpt-4o-mini", openai_api_key_plaintext=PLAINTEXT)
GPT4O = entity("gpt", "openai", "gpt-4o", openai_api_key="{{secrets/llm/openai}}")
CLAUDE = entity("claude", "anthropic", "claude-sonnet-4", anthropic_api_key="{{secrets/a/b}}")


def create_and_settle(client: ControlPlaneClient, time: SharedTime, name: str) -> dict[str, Any]:
    client.create_endpoint({"name": name, "config": {"served_entities": [GPT]}})
    return wait_until_settled(client, name, deadline_s=60, clock=time, rng=ZeroJitter())


def test_lifecycle_create_wait_update_gateway_tags_query_delete(
    client: ControlPlaneClient, time: SharedTime
) -> None:
    created = client.create_endpoint({"name": "life", "config": {"served_entities": [GPT]}})
    assert created["state"]["config_update"] == "IN_PROGRESS"
    settled = wait_until_settled(client, "life", deadline_s=60, clock=time, rng=ZeroJitter())
    assert settled["state"]["config_update"] == "NOT_UPDATING"
    assert time.sleeps, "the waiter should have polled at least twice"
    live = client.get_endpoint("life")
    assert PLAINTEXT not in repr(live)
    version = live["config"]["config_version"]

    routes = [
        {"served_entity_name": "gpt", "traffic_percentage": 80},
        {"served_entity_name": "claude", "traffic_percentage": 20},
    ]
    config = {"served_entities": [GPT, CLAUDE], "traffic_config": {"routes": routes}}
    client.update_config("life", config)
    updated = wait_until_settled(client, "life", deadline_s=60, clock=time, rng=ZeroJitter())
    assert updated["config"]["config_version"] > version
    assert {e["name"] for e in updated["config"]["served_entities"]} == {"gpt", "claude"}

    gateway = {"usage_tracking_config": {"enabled": True}}
    assert client.put_ai_gateway("life", gateway)["usage_tracking_config"] == {"enabled": True}
    tags = client.patch_tags("life", [{"key": "team", "value": "support"}], [])
    assert tags["tags"] == [{"key": "team", "value": "support"}]

    chat = {"messages": [{"role": "user", "content": "Reply OK"}], "max_tokens": 8}
    answer = client.query_endpoint("life", chat, timeout=10)
    assert answer.ok and answer.json["choices"], answer
    assert answer.served_model_name in {"gpt", "claude"}
    per_entity = client.query_endpoint("life", chat, entity="claude", timeout=10)
    assert (per_entity.status, per_entity.served_model_name) == (200, "claude")

    client.delete_endpoint("life")
    assert client.find_endpoint("life") is None
    assert "life" not in {e["name"] for e in client.list_endpoints()}


def test_missing_endpoint(client: ControlPlaneClient) -> None:
    assert client.find_endpoint("nope") is None
    with pytest.raises(NotFound) as caught:
        client.get_endpoint("nope")
    assert caught.value.code == "RESOURCE_DOES_NOT_EXIST"
    client.delete_endpoint("nope", missing_ok=True)


def test_create_with_a_taken_name_is_a_conflict_without_retry(
    client: ControlPlaneClient, time: SharedTime
) -> None:
    create_and_settle(client, time, "taken")
    slept = len(time.sleeps)
    with pytest.raises(Conflict) as caught:
        client.create_endpoint({"name": "taken", "config": {"served_entities": [GPT]}})
    assert caught.value.code == "RESOURCE_ALREADY_EXISTS"
    assert len(time.sleeps) == slept
    assert PLAINTEXT not in str(caught.value)


def test_update_while_in_progress_is_waited_out(
    client: ControlPlaneClient, time: SharedTime
) -> None:
    client.create_endpoint({"name": "busy", "config": {"served_entities": [GPT]}})
    client.update_config("busy", {"served_entities": [GPT4O]})
    assert time.sleeps, "the 409 while IN_PROGRESS should have been waited out"
    settled = wait_until_settled(client, "busy", deadline_s=60, clock=time, rng=ZeroJitter())
    assert settled["config"]["served_entities"][0]["external_model"]["name"] == "gpt-4o"


def test_429_with_retry_after_is_honoured(
    plane: RunningPlane, client: ControlPlaneClient, time: SharedTime
) -> None:
    create_and_settle(client, time, "throttled")
    fault = {"route": "GET /api/2.0/serving-endpoints/throttled", "status": 429}
    with plane.client() as admin:
        admin.post("/__plane/faults", json={**fault, "retry_after": 4, "count": 2})
    before = len(time.sleeps)
    assert client.get_endpoint("throttled")["name"] == "throttled"
    assert time.sleeps[before:] == [4.0, 4.0]


def test_update_failed_names_the_entity(
    plane: RunningPlane, client: ControlPlaneClient, time: SharedTime
) -> None:
    create_and_settle(client, time, "doomed")
    with plane.client() as admin:
        answer = admin.post(
            "/__plane/endpoints/doomed/fault", json={"update_failed": "quota exceeded for gpt"}
        )
        answer.raise_for_status()
    client.update_config("doomed", {"served_entities": [GPT4O]})
    with pytest.raises(UpdateFailed) as caught:
        wait_until_settled(client, "doomed", deadline_s=60, clock=time, rng=ZeroJitter())
    assert "endpoint 'doomed'" in str(caught.value)
    assert "quota exceeded for gpt" in str(caught.value)


def test_oauth_m2m_against_the_plane(plane: RunningPlane, time: SharedTime) -> None:
    with ControlPlaneClient.from_env(
        host=plane.url, client_id="sp-app-id", client_secret="sp-sentinel-secret", env={}
    ) as oauth:
        assert isinstance(oauth.list_endpoints(), list)
    with (
        ControlPlaneClient.from_env(
            host=plane.url, client_id="sp-app-id", client_secret="sp-wrong-sentinel-77", env={}
        ) as bad,
        pytest.raises(Unauthenticated) as caught,
    ):
        bad.list_endpoints()
    assert "DATABRICKS_CLIENT_SECRET" in caught.value.hint
    assert "sp-wrong-sentinel-77" not in str(caught.value)
    assert "/oidc/v1/token" in str(caught.value)


def test_wrong_token_is_unauthenticated(plane: RunningPlane) -> None:
    with ControlPlaneClient.from_env(host=plane.url, token="dapi-wrong-0000", env={}) as bad:
        with pytest.raises(Unauthenticated) as caught:
            bad.list_endpoints()
    assert "dapi-wrong-0000" not in str(caught.value)


def test_stopped_plane_is_unreachable(tmp_path: Path) -> None:
    with running_plane(tmp_path, seed_pay_per_token=False) as gone:
        url, token = gone.url, gone.token
    clock = SharedTime(FakeClock())
    client = ControlPlaneClient.from_env(host=url, token=token, env={}, clock=clock, max_retries=1)
    with client, pytest.raises(ControlPlaneUnreachable) as caught:
        client.list_endpoints()
    assert "make demo" in caught.value.hint
    assert token not in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
