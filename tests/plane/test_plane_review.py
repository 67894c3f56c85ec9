"""Inputs and leaks found in review: every one must be a clean 4xx, never a 500 or a secret."""

from __future__ import annotations

import pytest
from plane_payloads import API, assert_error, chat_endpoint, openai_entity

# Every write-only field of control-plane-api.md §4, as (provider, block, fields).
PLAINTEXT = {
    "openai": ("openai_config", {"openai_api_key_plaintext": "P1"}),
    "openai-entra": (
        "openai_config",
        {
            "openai_api_type": "azuread",
            "openai_api_base": "https://x.openai.azure.com",
            "openai_api_version": "2024-06-01",
            "openai_deployment_name": "d",
            "microsoft_entra_tenant_id": "t",
            "microsoft_entra_client_id": "c",
            "microsoft_entra_client_secret_plaintext": "P2",
        },
    ),
    "anthropic": ("anthropic_config", {"anthropic_api_key_plaintext": "P3"}),
    "cohere": ("cohere_config", {"cohere_api_key_plaintext": "P4"}),
    "amazon-bedrock": (
        "amazon_bedrock_config",
        {
            "aws_region": "us-east-1",
            "bedrock_provider": "anthropic",
            "aws_access_key_id_plaintext": "P5",
            "aws_secret_access_key_plaintext": "P6",
        },
    ),
    "google-cloud-vertex-ai": (
        "google_cloud_vertex_ai_config",
        {"project_id": "p", "region": "r", "private_key_plaintext": "P7"},
    ),
    "ai21labs": ("ai21labs_config", {"ai21labs_api_key_plaintext": "P8"}),
    "palm": ("palm_config", {"palm_api_key_plaintext": "P9"}),
    "databricks-model-serving": (
        "databricks_model_serving_config",
        {"databricks_workspace_url": "https://w", "databricks_api_token_plaintext": "P10"},
    ),
    "custom-key": (
        "custom_provider_config",
        {
            "custom_provider_url": "https://c",
            "api_key_auth": {"key": "k", "value_plaintext": "P11"},
        },
    ),
    "custom-bearer": (
        "custom_provider_config",
        {"custom_provider_url": "https://c", "bearer_token_auth": {"token_plaintext": "P12"}},
    ),
}
TASK = {"ai21labs": "llm/v1/completions"}


@pytest.mark.parametrize("kind", sorted(PLAINTEXT))
def test_no_plaintext_secret_comes_back_in_any_answer(api, kind):
    block, fields = PLAINTEXT[kind]
    provider = kind.split("-")[0] if kind.startswith(("openai", "custom")) else kind
    provider = {"openai": "openai", "custom": "custom"}.get(provider, provider)
    sentinel = "SENTINEL-" + next(v for k, v in _flat(fields) if k.endswith("_plaintext"))
    fields = _with_sentinel(fields, sentinel)
    entity = {
        "name": "e",
        "external_model": {
            "provider": provider,
            "name": "m",
            "task": TASK.get(kind, "llm/v1/chat"),
            block: fields,
        },
    }
    answers = [api.post(API, {"name": "x", "config": {"served_entities": [entity]}})]
    assert answers[0].status_code == 200, answers[0].text
    api.clock.advance(1)
    answers += [
        api.get(f"{API}/x"),
        api.get(API),
        api.put(f"{API}/x/config", {"served_entities": [entity]}),
    ]
    api.clock.advance(1)
    answers.append(api.get(f"{API}/x"))
    for answer in answers:
        assert sentinel not in answer.text


def _flat(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flat(v)
        else:
            yield k, v


def _with_sentinel(d, sentinel):
    return {
        k: _with_sentinel(v, sentinel)
        if isinstance(v, dict)
        else (sentinel if k.endswith("_plaintext") else v)
        for k, v in d.items()
    }


@pytest.mark.parametrize(
    "path",
    [
        "/serving-endpoints/chat/invocations",
        "/serving-endpoints/chat/served-models/gpt/invocations",
        "/serving-endpoints/chat/completions",
    ],
)
def test_query_routes_need_a_token(api, path):
    api.post(API, chat_endpoint())
    api.clock.advance(1)
    r = api.client.post(
        path, json={"messages": [{"role": "user", "content": "hi"}]}, headers={"Authorization": ""}
    )
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"


def test_non_ascii_bearer_token_is_401_not_500(api):
    r = api.client.get(API, headers=[(b"authorization", "Bearer t\u00e9st".encode("latin-1"))])
    assert r.status_code == 401


@pytest.mark.parametrize(
    "raw",
    [b'{"stuck_seconds": NaN}', b'{"stuck_seconds": Infinity}', b"[" * 100_000 + b"]" * 100_000],
)
def test_non_json_numbers_and_deep_nesting_are_400(api, raw):
    api.post(API, chat_endpoint())
    r = api.client.post(
        "/__plane/endpoints/chat/fault", content=raw, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error_code"] == "MALFORMED_REQUEST"
    assert api.get(f"{API}/chat").status_code == 200  # nothing stored, nothing broken


@pytest.mark.parametrize(
    "body",
    [
        {
            "messages": [
                {"role": "user", "content": "x", "tool_calls": [1]},
                {"role": "tool", "tool_call_id": "a", "content": "r"},
            ]
        },
        # JSON text Python's encoder would refuse to produce (1e309 parses as infinity)
        '{"messages": [{"role": "user", "content": "x"}], "response_format": {"type":'
        ' "json_schema", "json_schema": {"name": "n", "schema": {"minimum": 1e309}}}}',
        {
            "messages": [{"role": "user", "content": "x"}],
            "tools": [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
            ],
            "tool_choice": {"type": "function", "function": {"name": ["f"]}},
        },
    ],
)
def test_odd_query_shapes_are_400_not_500(api, body):
    api.post(API, chat_endpoint())
    api.clock.advance(1)
    path = "/serving-endpoints/chat/invocations"
    if isinstance(body, str):
        r = api.client.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        r = api.post(path, body)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST")


def test_error_body_shape_is_kept(api):
    assert_error(
        api.put(f"{API}/missing/config", {"served_entities": [openai_entity()]}),
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Endpoint with name 'missing' does not exist.",
    )


def test_token_can_come_from_the_environment_instead_of_argv(monkeypatch):
    from plane.server import parse_args, settings_from

    monkeypatch.setenv("SERVINGOPS_PLANE_TOKEN", "dapi-from-env-123456")
    assert settings_from(parse_args([])).token == "dapi-from-env-123456"
    monkeypatch.delenv("SERVINGOPS_PLANE_TOKEN")
    assert settings_from(parse_args([])).token != "dapi-from-env-123456"
