"""Create-time validation: each bad request gets 400 with a message naming the field."""

from __future__ import annotations

import pytest
from plane_payloads import (
    API,
    DELETE,
    anthropic_entity,
    assert_error,
    chat_endpoint,
    openai_entity,
    two_entity_endpoint,
    with_change,
)

E0 = "config.served_entities[0]"
EXT = f"{E0}.external_model"
OPENAI = f"{EXT}.openai_config"


def _embeddings_entity() -> dict:
    entity = openai_entity("emb", "text-embedding-3-small")
    entity["external_model"]["task"] = "llm/v1/embeddings"
    return entity


def _external(provider: str, task: str = "llm/v1/chat", **blocks: dict) -> dict:
    return {
        "name": "x",
        "external_model": {"provider": provider, "name": "m", "task": task, **blocks},
    }


CUSTOM = {"entity_name": "main.default.m", "entity_version": "1", "scale_to_zero_enabled": True}
LLAMA = "system.ai.meta_llama_v3_3_70b_instruct"
REF = "{{secrets/s/k}}"
AWS_KEYS = {"aws_access_key_id": REF, "aws_secret_access_key": REF}

CASES = {
    "name-missing": ({"config": {}}, "'name' is required."),
    "name-charset": (
        chat_endpoint("bad name!"),
        "'name' must contain only alphanumeric characters, dashes and underscores, "
        "got 'bad name!'.",
    ),
    "name-too-long": (
        chat_endpoint("n" * 64),
        "'name' must be at most 63 characters long, got 64.",
    ),
    "entity-name-charset": (
        with_change(chat_endpoint(), "config.served_entities.0.name", "g p t"),
        f"'{E0}.name' must contain only alphanumeric characters, dashes and underscores, "
        "got 'g p t'.",
    ),
    "models-and-entities": (
        with_change(chat_endpoint(), "config.served_models", [CUSTOM]),
        "'config' may set served_entities or served_models, not both.",
    ),
    "too-many-entities": (
        chat_endpoint("chat", *[openai_entity(f"e{i}") for i in range(16)]),
        "'config.served_entities' has 16 entities; at most 15 are allowed.",
    ),
    "duplicate-entity": (
        chat_endpoint("chat", openai_entity(), openai_entity(), traffic={"gpt": 100}),
        "Served entity name 'gpt' is used more than once in 'config.served_entities'.",
    ),
    "external-and-custom": (
        chat_endpoint("chat", openai_entity(), dict(CUSTOM, name="c"), traffic={"gpt": 100}),
        "An endpoint cannot mix external models with other served entities.",
    ),
    "two-tasks": (
        chat_endpoint("chat", openai_entity(), _embeddings_entity(), traffic={"gpt": 100}),
        "All served entities of an endpoint must have the same task, got llm/v1/chat, "
        "llm/v1/embeddings.",
    ),
    "traffic-required": (
        chat_endpoint("chat", openai_entity(), anthropic_entity()),
        "'config.traffic_config' is required when an endpoint has more than one served entity.",
    ),
    "traffic-unknown-entity": (
        chat_endpoint(
            "chat", openai_entity(), anthropic_entity(), traffic={"gpt": 50, "gemini": 50}
        ),
        "'config.traffic_config.routes[1]' routes traffic to 'gemini', which is not a served "
        "entity of this config (served entities: gpt, claude).",
    ),
    "traffic-sum": (
        two_entity_endpoint(gpt=80, claude=10),
        "'config.traffic_config' traffic percentages must sum to 100, got 90.",
    ),
    "traffic-over-100": (
        two_entity_endpoint(gpt=101, claude=0),
        "'config.traffic_config.routes[0].traffic_percentage' must be an integer from 0 to 100.",
    ),
    "provider-unknown": (
        with_change(chat_endpoint(), "config.served_entities.0.external_model.provider", "foo"),
        f"'{EXT}.provider' must be one of ai21labs, amazon-bedrock, anthropic, cohere, custom, "
        "databricks-model-serving, google-cloud-vertex-ai, openai, palm, got 'foo'.",
    ),
    "provider-config-mismatch": (
        with_change(
            chat_endpoint(),
            "config.served_entities.0.external_model.anthropic_config",
            {"anthropic_api_key": REF},
        ),
        f"'{EXT}.anthropic_config' does not match provider 'openai'; provider 'openai' takes "
        "'openai_config'.",
    ),
    "provider-config-missing": (
        with_change(
            chat_endpoint(), "config.served_entities.0.external_model.openai_config", DELETE
        ),
        f"'{EXT}' with provider 'openai' needs 'openai_config'.",
    ),
    "secret-both": (
        chat_endpoint("chat", openai_entity(openai_api_key_plaintext="sk-1")),
        f"'{OPENAI}' sets both 'openai_api_key' and 'openai_api_key_plaintext'; set exactly "
        "one of them.",
    ),
    "secret-missing": (
        chat_endpoint("chat", openai_entity(openai_api_key=None)),
        f"'{OPENAI}' needs one of 'openai_api_key' (a secret reference) or "
        "'openai_api_key_plaintext'.",
    ),
    "secret-raw-key": (
        chat_endpoint("chat", openai_entity(openai_api_key="sk-raw")),
        f"'{OPENAI}.openai_api_key' must be a secret reference like {{{{secrets/<scope>/<key>}}}}; "
        "put a raw key in 'openai_api_key_plaintext' instead.",
    ),
    "provider-task": (
        chat_endpoint(
            "chat",
            _external(
                "anthropic", "llm/v1/embeddings", anthropic_config={"anthropic_api_key": REF}
            ),
        ),
        f"Provider 'anthropic' does not support task 'llm/v1/embeddings' ({EXT}).",
    ),
    "azure-fields": (
        chat_endpoint("chat", openai_entity(openai_api_type="azure")),
        f"'{OPENAI}.openai_api_base' is required.",
    ),
    "bedrock-two-auth-methods": (
        chat_endpoint(
            "chat",
            _external(
                "amazon-bedrock",
                amazon_bedrock_config={
                    "aws_region": "us-east-1",
                    "bedrock_provider": "anthropic",
                    "instance_profile_arn": "arn:aws:iam::1:instance-profile/x",
                    **AWS_KEYS,
                },
            ),
        ),
        f"'{EXT}.amazon_bedrock_config' needs exactly one auth method (access keys, "
        "instance_profile_arn or uc_service_credential_name), got access keys, "
        "instance_profile_arn.",
    ),
    "bedrock-subprovider-task": (
        chat_endpoint(
            "chat",
            _external(
                "amazon-bedrock",
                amazon_bedrock_config={
                    "aws_region": "us-east-1",
                    "bedrock_provider": "Amazon",
                    **AWS_KEYS,
                },
            ),
        ),
        f"Bedrock provider 'amazon' does not support task 'llm/v1/chat' ({EXT}); use one of "
        "anthropic, cohere.",
    ),
    "custom-provider-two-auths": (
        chat_endpoint(
            "chat",
            _external(
                "custom",
                custom_provider_config={
                    "custom_provider_url": "http://127.0.0.1:9/v1",
                    "api_key_auth": {"key": "X-Key", "value": REF},
                    "bearer_token_auth": {"token": REF},
                },
            ),
        ),
        f"'{EXT}.custom_provider_config' needs exactly one of 'api_key_auth' or "
        "'bearer_token_auth'.",
    ),
    "external-with-workload-size": (
        with_change(chat_endpoint(), "config.served_entities.0.workload_size", "Small"),
        f"'{E0}' has an external_model, which cannot be combined with 'workload_size'.",
    ),
    "external-with-throughput": (
        with_change(chat_endpoint(), "config.served_entities.0.max_provisioned_throughput", 0),
        "Provisioned throughput is not supported for endpoints with external models "
        f"('{E0}.max_provisioned_throughput').",
    ),
    "custom-without-scale-to-zero": (
        {"name": "c", "config": {"served_entities": [dict(CUSTOM, scale_to_zero_enabled=None)]}},
        f"'{E0}.scale_to_zero_enabled' is required (scaleToZeroEnabled is undefined).",
    ),
    "entity-version-number": (
        {"name": "c", "config": {"served_entities": [dict(CUSTOM, entity_version=1)]}},
        f"'{E0}.entity_version' must be a string, got a number.",
    ),
    "foundation-unknown": (
        {
            "name": "c",
            "config": {
                "served_entities": [{"entity_name": "system.ai.nope", "entity_version": "1"}]
            },
        },
        "Model 'system.ai.nope' does not exist in the system.ai catalogue.",
    ),
    "band-not-multiple": (
        {
            "name": "c",
            "config": {
                "served_entities": [
                    {
                        "entity_name": LLAMA,
                        "entity_version": "1",
                        "max_provisioned_throughput": 10000,
                    }
                ]
            },
        },
        f"'{E0}.max_provisioned_throughput' must be a multiple of 9500 for model '{LLAMA}', "
        "got 10000.",
    ),
    "foundation-without-sizing": (
        {
            "name": "c",
            "config": {"served_entities": [{"entity_name": LLAMA, "entity_version": "1"}]},
        },
        f"'{E0}' serves foundation model '{LLAMA}' and needs max_provisioned_throughput or "
        "provisioned_model_units.",
    ),
    "duplicate-tag": (
        chat_endpoint(tags=[{"key": "team", "value": "a"}, {"key": "team", "value": "b"}]),
        "Tag key 'team' appears more than once in 'tags'.",
    ),
    "rate-limit-period": (
        chat_endpoint(ai_gateway={"rate_limits": [{"calls": 5, "renewal_period": "hour"}]}),
        "'ai_gateway.rate_limits[0].renewal_period' must be one of minute, got 'hour'.",
    ),
    "inference-table-incomplete": (
        chat_endpoint(
            ai_gateway={"inference_table_config": {"enabled": True, "catalog_name": "main"}}
        ),
        "'ai_gateway.inference_table_config.schema_name' is required.",
    ),
    "config-not-object": (
        {"name": "x", "config": [1]},
        "'config' must be an object, got an array.",
    ),
}


@pytest.mark.parametrize("body, message", CASES.values(), ids=CASES.keys())
def test_create_rejects(api, body, message):
    r = api.post(API, body)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", message)
    assert api.get(f"{API}/{body.get('name', 'x')}").status_code == 404


def test_create_with_invalid_json_is_malformed_request(api):
    r = api.client.post(API, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(
        r,
        400,
        "MALFORMED_REQUEST",
        "Invalid JSON given in the body of the request: JSONDecodeError.",
    )


def test_create_with_a_json_list_is_malformed_request(api):
    r = api.post(API, [1, 2])
    assert_error(
        r,
        400,
        "MALFORMED_REQUEST",
        "Invalid JSON given in the body of the request - expected a map.",
    )
