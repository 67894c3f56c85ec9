"""Round two with official clients (issue 11): Databricks SDK, OpenAI, Databricks CLI shapes."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest
from databricks.sdk.service.serving import (
    AiGatewayInferenceTableConfig,
    AutoCaptureConfigInput,
    ChatMessage,
    ChatMessageRole,
    DataframeSplitInput,
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
)
from openai import OpenAI
from plane_testing import RunningPlane, running_plane

OAUTH = {"client_id": "sp-app-id", "client_secret": "sp-secret"}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No Databricks env vars or config file of the machine may leak into the clients."""
    for key in list(os.environ):
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


@pytest.fixture
def w_oauth(plane: RunningPlane) -> WorkspaceClient:
    return WorkspaceClient(host=plane.url, auth_type="oauth-m2m", **OAUTH)


def test_current_user_me_with_the_token(w: WorkspaceClient, plane: RunningPlane) -> None:
    me = w.current_user.me()
    assert me.user_name == plane.settings.user_name
    assert me.active is True and me.id and me.id.isdigit()
    assert me.emails and me.emails[0].value == plane.settings.user_name
    assert w.current_user.me().id == me.id  # stable


def test_current_user_me_with_oauth_is_the_service_principal(w_oauth: WorkspaceClient) -> None:
    me = w_oauth.current_user.me()
    assert me.user_name == OAUTH["client_id"]


def test_workspace_id_from_the_scim_me_header(w: WorkspaceClient, plane: RunningPlane) -> None:
    assert str(w.get_workspace_id()) == plane.workspace_id


def _custom(w: WorkspaceClient, name: str = "churn") -> None:
    entity = ServedEntityInput(
        entity_name="main.ml.churn",
        entity_version="3",
        workload_size="Small",
        scale_to_zero_enabled=True,
    )
    w.serving_endpoints.create_and_wait(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity])
    )


def test_sdk_queries_a_custom_model_in_every_input_format(w: WorkspaceClient) -> None:
    _custom(w)
    records = [{"age": 31}, {"age": 58}]
    by_records = w.serving_endpoints.query("churn", dataframe_records=records).predictions
    assert by_records is not None and len(by_records) == 2
    split = DataframeSplitInput(columns=["age"], data=[[31], [58]])
    assert len(w.serving_endpoints.query("churn", dataframe_split=split).predictions or []) == 2
    assert len(w.serving_endpoints.query("churn", instances=[[1], [2], [3]]).predictions or []) == 3
    inputs = {"age": [1, 2, 3, 4]}
    assert len(w.serving_endpoints.query("churn", inputs=inputs).predictions or []) == 4


def _chat(w: WorkspaceClient, name: str = "chat", route_optimized: bool = False) -> None:
    model = ExternalModel(
        provider=ExternalModelProvider.OPENAI,
        name="gpt-4o-mini",
        task="llm/v1/chat",
        openai_config=OpenAiConfig(openai_api_key_plaintext="sk-test-key"),
    )
    entity = ServedEntityInput(name="gpt", external_model=model)
    w.serving_endpoints.create_and_wait(
        name=name,
        config=EndpointCoreConfigInput(name=name, served_entities=[entity]),
        route_optimized=route_optimized,
    )


@pytest.fixture
def openai_client(w: WorkspaceClient, plane: RunningPlane) -> OpenAI:
    _chat(w)
    return OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token)


def test_responses_create_answers_text(openai_client: OpenAI) -> None:
    response = openai_client.responses.create(
        model="chat", input="Reply with OK.", instructions="Be brief."
    )
    assert response.object == "response" and response.status == "completed"
    assert response.output_text and response.model == "gpt-4o-mini"
    assert response.usage is not None and response.usage.total_tokens == (
        response.usage.input_tokens + response.usage.output_tokens
    )


def test_responses_stream_rebuilds_the_text(openai_client: OpenAI) -> None:
    plain = openai_client.responses.create(model="chat", input="Tell me about lighthouses")
    events = list(
        openai_client.responses.create(model="chat", input="Tell me about lighthouses", stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == plain.output_text and kinds.count("response.output_text.delta") > 3
    assert [e.sequence_number for e in events] == list(range(len(events)))


WEATHER: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def test_responses_function_call_round_trip(openai_client: OpenAI) -> None:
    tools: Any = [{"type": "function", "name": "get_weather", "parameters": WEATHER}]
    first = openai_client.responses.create(
        model="chat", input="Use get_weather for Oslo", tools=tools
    )
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)
    follow_up: Any = [
        {"role": "user", "content": "Use get_weather for Oslo"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": "{}"},
        {"type": "function_call_output", "call_id": call.call_id, "output": "3 degrees"},
    ]
    final = openai_client.responses.create(model="chat", input=follow_up, tools=tools)
    assert final.output_text == "The get_weather tool returned: 3 degrees"


def test_responses_refuses_server_side_state(openai_client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="previous_response_id"):
        openai_client.responses.create(model="chat", input="hi", previous_response_id="resp_1")


def test_sdk_open_ai_client_responses_create(w: WorkspaceClient) -> None:
    _chat(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = w.serving_endpoints.get_open_ai_client()
    response = client.responses.create(model="chat", input="Reply with OK.")
    assert response.output_text


HI = [ChatMessage(role=ChatMessageRole.USER, content="Reply with OK.")]


def test_sdk_data_plane_query_on_a_route_optimized_endpoint(w_oauth: WorkspaceClient) -> None:
    _chat(w_oauth, "ro", route_optimized=True)
    info = w_oauth.serving_endpoints.get("ro").data_plane_info
    assert info is not None and info.query_info is not None
    assert info.query_info.authorization_details
    answer = w_oauth.serving_endpoints_data_plane.query("ro", messages=HI)
    assert answer.choices and answer.choices[0].message is not None


def test_workspace_url_query_of_a_route_optimized_endpoint_is_refused(
    w: WorkspaceClient, w_oauth: WorkspaceClient
) -> None:
    _chat(w, "ro", route_optimized=True)
    for client in (w, w_oauth):
        with pytest.raises(BadRequest, match="route-optimized URL"):
            client.serving_endpoints.query("ro", messages=HI)


def _exchange(plane: RunningPlane, assertion: str, details: str) -> httpx.Response:
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion,
        "authorization_details": details,
    }
    return httpx.post(f"{plane.url}/oidc/v1/token", data=form)


def _oauth_token(plane: RunningPlane) -> str:
    form = {"grant_type": "client_credentials", **OAUTH}
    return str(httpx.post(f"{plane.url}/oidc/v1/token", data=form).json()["access_token"])


def _grant_query(w: WorkspaceClient, name: str, service_principal: str) -> None:
    endpoint_id = str(w.serving_endpoints.get(name).id)
    grant = ServingEndpointAccessControlRequest(
        service_principal_name=service_principal,
        permission_level=ServingEndpointPermissionLevel.CAN_QUERY,
    )
    w.serving_endpoints.update_permissions(endpoint_id, access_control_list=[grant])


def test_data_plane_refuses_personal_tokens_and_foreign_or_misused_tokens(
    w: WorkspaceClient, plane: RunningPlane
) -> None:
    _chat(w, "ro", route_optimized=True)
    _chat(w, "ro2", route_optimized=True)
    info = w.serving_endpoints.get("ro").data_plane_info.query_info  # type: ignore[union-attr]
    url, details = str(info.endpoint_url), str(info.authorization_details)  # type: ignore[union-attr]
    body = {"messages": [{"role": "user", "content": "hi"}]}
    pat = httpx.post(url, json=body, headers={"Authorization": f"Bearer {plane.token}"})
    assert pat.status_code == 403 and "personal access tokens" in pat.json()["message"]
    refused = _exchange(plane, plane.token, details)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    token = _exchange(plane, _oauth_token(plane), details).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    no_acl = httpx.post(url, json=body, headers=auth)
    assert no_acl.status_code == 403 and "permission 'Query'" in no_acl.json()["message"]
    _grant_query(w, "ro", OAUTH["client_id"])
    assert httpx.post(url, json=body, headers=auth).status_code == 200
    other = url.replace("/ro/", "/ro2/")
    assert httpx.post(other, json=body, headers=auth).status_code == 403
    control = httpx.get(f"{plane.url}/api/2.0/serving-endpoints", headers=auth)
    assert control.status_code == 401
    bad = _exchange(plane, _oauth_token(plane), "[]")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"


def test_data_plane_url_of_a_plain_endpoint_is_refused(w: WorkspaceClient, plane: RunningPlane):
    _chat(w, "plain")
    url = f"{plane.url}/{plane.workspace_id}/serving-endpoints/plain/invocations"
    auth = {"Authorization": f"Bearer {_oauth_token(plane)}"}
    r = httpx.post(url, json={"messages": [{"role": "user", "content": "hi"}]}, headers=auth)
    assert r.status_code == 400 and "not route-optimized" in r.json()["message"]
    wrong = f"{plane.url}/1/serving-endpoints/plain/invocations"
    assert httpx.post(wrong, json={}, headers=auth).status_code == 404


def test_sdk_create_with_a_legacy_inference_table_is_refused(w: WorkspaceClient) -> None:
    entity = ServedEntityInput(
        entity_name="main.ml.churn", entity_version="3", workload_size="Small",
        scale_to_zero_enabled=True,
    )  # fmt: skip
    auto = AutoCaptureConfigInput(catalog_name="main", schema_name="logs", enabled=True)
    config = EndpointCoreConfigInput(name="legacy", served_entities=[entity])
    config.auto_capture_config = auto
    with pytest.raises(BadRequest, match="ai_gateway.inference_table_config"):
        w.serving_endpoints.create(name="legacy", config=config)


def test_sdk_gateway_table_without_prefix_is_named_after_the_endpoint(w: WorkspaceClient):
    _chat(w)
    table = AiGatewayInferenceTableConfig(catalog_name="main", schema_name="logs", enabled=True)
    answer = w.serving_endpoints.put_ai_gateway("chat", inference_table_config=table)
    assert answer.inference_table_config is not None
    assert answer.inference_table_config.table_name_prefix == "chat"
    again = w.serving_endpoints.put_ai_gateway("chat", inference_table_config=table)
    assert again.inference_table_config is not None  # the same call again is no rename
    got = w.serving_endpoints.get("chat").ai_gateway
    assert got is not None and got.inference_table_config is not None
    assert got.inference_table_config.table_name_prefix == "chat"
