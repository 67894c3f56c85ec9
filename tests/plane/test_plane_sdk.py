"""Compatibility: the official Databricks SDK and OpenAI client, unchanged, against the plane."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists, ResourceConflict
from databricks.sdk.service.serving import (
    AiGatewayRateLimit,
    AiGatewayRateLimitKey,
    AiGatewayRateLimitRenewalPeriod,
    AiGatewayUsageTrackingConfig,
    ChatMessage,
    ChatMessageRole,
    EndpointCoreConfigInput,
    EndpointStateConfigUpdate,
    EndpointStateReady,
    EndpointTag,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    PtEndpointCoreConfig,
    PtServedModel,
    ServedEntityInput,
)
from openai import OpenAI
from plane_testing import RunningPlane, running_plane

OAUTH = {"client_id": "sp-app-id", "client_secret": "sp-secret"}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No Databricks env vars or config file of the machine may leak into the clients."""
    for key in list(__import__("os").environ):
        if key.startswith(("DATABRICKS_", "OPENAI_", "ARM_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def plane(tmp_path) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0, **OAUTH) as running:
        yield running


@pytest.fixture
def w(plane: RunningPlane) -> WorkspaceClient:
    return WorkspaceClient(host=plane.url, token=plane.token)


def _gpt(name: str = "gpt") -> ServedEntityInput:
    model = ExternalModel(
        provider=ExternalModelProvider.OPENAI,
        name="gpt-4o-mini",
        task="llm/v1/chat",
        openai_config=OpenAiConfig(openai_api_key_plaintext="sk-test-key"),
    )
    return ServedEntityInput(name=name, external_model=model)


def _create(w: WorkspaceClient, name: str = "chat"):
    config = EndpointCoreConfigInput(name=name, served_entities=[_gpt()])
    return w.serving_endpoints.create_and_wait(name=name, config=config)


def test_sdk_create_and_wait_external_model(w):
    endpoint = _create(w)
    assert endpoint.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
    assert endpoint.state.ready == EndpointStateReady.READY
    assert endpoint.config.served_entities[0].external_model.name == "gpt-4o-mini"
    assert (
        endpoint.config.served_entities[0].external_model.openai_config.openai_api_key_plaintext
        is None
    )


def test_sdk_get_and_list(w):
    _create(w)
    assert w.serving_endpoints.get("chat").task == "llm/v1/chat"
    names = {e.name for e in w.serving_endpoints.list()}
    assert {"chat", "databricks-meta-llama-3-3-70b-instruct"} <= names


def test_sdk_reads_the_workspace_id_header(w, plane):
    answer = w.api_client.do(
        "GET", "/api/2.0/serving-endpoints", response_headers=["X-Databricks-Org-Id"]
    )
    assert answer["X-Databricks-Org-Id"] == plane.workspace_id
    assert w.get_workspace_id() == int(plane.workspace_id)


def test_sdk_update_config_and_wait(w):
    _create(w)
    endpoint = w.serving_endpoints.update_config_and_wait(
        name="chat", served_entities=[_gpt("gpt2")]
    )
    assert endpoint.config.config_version == 2
    assert [e.name for e in endpoint.config.served_entities] == ["gpt2"]


def test_sdk_put_ai_gateway(w):
    _create(w)
    limit = AiGatewayRateLimit(
        calls=100,
        key=AiGatewayRateLimitKey.USER,
        renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE,
    )
    w.serving_endpoints.put_ai_gateway(
        "chat",
        usage_tracking_config=AiGatewayUsageTrackingConfig(enabled=True),
        rate_limits=[limit],
    )
    gateway = w.serving_endpoints.get("chat").ai_gateway
    assert gateway.usage_tracking_config.enabled is True
    assert gateway.rate_limits[0].calls == 100


def test_sdk_patch_tags(w):
    _create(w)
    tags = w.serving_endpoints.patch(
        "chat", add_tags=[EndpointTag(key="team", value="x"), EndpointTag(key="cost", value="1")]
    )
    assert [t.key for t in tags.tags] == ["cost", "team"]


def test_sdk_query_names_the_served_entity(w):
    _create(w)
    message = ChatMessage(role=ChatMessageRole.USER, content="Reply with OK.")
    response = w.serving_endpoints.query("chat", messages=[message], max_tokens=8)
    assert response.served_model_name == "gpt"
    assert response.choices[0].message.content


def test_sdk_delete(w):
    _create(w)
    w.serving_endpoints.delete("chat")
    with pytest.raises(NotFound):
        w.serving_endpoints.get("chat")


def test_sdk_maps_409_errors(w, plane):
    _create(w)
    with pytest.raises(ResourceAlreadyExists):
        _create(w)
    plane.store.set_endpoint_fault("chat", stuck_seconds=60, update_failed=None)
    w.serving_endpoints.update_config(name="chat", served_entities=[_gpt("a")])
    with pytest.raises(ResourceConflict):
        w.serving_endpoints.update_config(name="chat", served_entities=[_gpt("b")])


def test_sdk_provisioned_throughput_create(w):
    entity = PtServedModel(
        entity_name="system.ai.meta_llama_v3_3_70b_instruct",
        entity_version="1",
        provisioned_model_units=50,
    )
    endpoint = w.serving_endpoints.create_provisioned_throughput_endpoint_and_wait(
        name="pt", config=PtEndpointCoreConfig(served_entities=[entity])
    )
    assert endpoint.config.served_entities[0].provisioned_model_units == 50


def test_sdk_retries_a_429_with_retry_after(w, plane):
    _create(w)
    fault = {"route": "GET /api/2.0/serving-endpoints/{name}", "status": 429, "retry_after": 0}
    with plane.client() as client:
        client.post("/__plane/faults", json=fault)
    assert w.serving_endpoints.get("chat").name == "chat"
    assert plane.plane.stats.to_api()["requests"]["GET /api/2.0/serving-endpoints/{name}"] >= 2


def test_sdk_oauth_m2m(plane):
    w = WorkspaceClient(host=plane.url, **OAUTH)
    assert w.config.auth_type == "oauth-m2m"
    _create(w)
    assert w.serving_endpoints.get("chat").creator == "sp-app-id"


def test_openai_client_chat_completions(w, plane):
    _create(w)
    client = OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token)
    response = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "Reply with OK."}], max_tokens=8
    )
    assert response.choices[0].message.role == "assistant"
    assert response.usage.total_tokens > 0


def test_openai_client_streams(w, plane):
    _create(w)
    client = OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token)
    stream = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text


def test_openai_client_embeddings_on_pay_per_token(plane):
    client = OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token)
    response = client.embeddings.create(model="databricks-gte-large-en", input=["a", "b"])
    assert len(response.data) == 2 and len(response.data[0].embedding) == 1024


def test_sdk_get_open_ai_client(w):
    _create(w)
    with pytest.warns(DeprecationWarning):
        client = w.serving_endpoints.get_open_ai_client()
    response = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}]
    )
    assert response.choices
