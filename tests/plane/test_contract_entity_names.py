"""Contract: the client predicts the name the plane gives a served entity that has none.

The core (``servingops.rules.context.entity_name``) and the plane
(``plane.validate_entities.default_entity_name``) implement control-plane-api.md §2
"Name rules" separately, so neither imports the other. Each case creates an endpoint
whose entity has no ``name`` and compares the core's prediction with what GET answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from plane_payloads import API, SECRET

from servingops.rules.context import entity_name

CHAT = "llm/v1/chat"


def external(provider: str, model: str, block: str, **config: Any) -> dict[str, Any]:
    """An unnamed external-model chat entity."""
    return {"external_model": {"provider": provider, "name": model, "task": CHAT, block: config}}


BEDROCK = {
    "aws_region": "us-east-1",
    "bedrock_provider": "anthropic",
    "instance_profile_arn": "arn:aws:iam::123456789012:instance-profile/bedrock",
}
VERTEX = {"project_id": "p", "region": "us-central1", "private_key": "{{secrets/llm/gcp}}"}
CUSTOM = {"custom_provider_url": "https://llm.example/v1", "bearer_token_auth": {"token": SECRET}}
DATABRICKS = {"databricks_workspace_url": "https://w.example", "databricks_api_token": SECRET}

REGULAR = {
    "openai-fine-tuned": external(
        "openai",
        "ft:gpt-4o-mini-2024-07-18:acme:support.v2",
        "openai_config",
        openai_api_key=SECRET,
    ),
    "anthropic-dotted": external(
        "anthropic", "claude-3.5-sonnet", "anthropic_config", anthropic_api_key=SECRET
    ),
    "bedrock-versioned": external(
        "amazon-bedrock",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "amazon_bedrock_config",
        **BEDROCK,
    ),
    "vertex-dotted": external(
        "google-cloud-vertex-ai", "gemini-1.5-pro-002", "google_cloud_vertex_ai_config", **VERTEX
    ),
    "custom-tagged": external("custom", "llama3.1:8b", "custom_provider_config", **CUSTOM),
    "databricks-dotted": external(
        "databricks-model-serving",
        "databricks-meta-llama-3.3-70b",
        "databricks_model_serving_config",
        **DATABRICKS,
    ),
    "provisioned-system-ai": {
        "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
        "entity_version": "2",
        "max_provisioned_throughput": 9500,
    },
    "custom-uc-model": {
        "entity_name": "main.ml.scorer",
        "entity_version": "3",
        "workload_size": "Small",
        "scale_to_zero_enabled": True,
    },
}
PT = {
    "pt-model-units": {
        "entity_name": "system.ai.gte_large_en_v1_5",
        "entity_version": "1",
        "provisioned_model_units": 50,
    },
}


def answered_names(api: Any, name: str) -> list[str]:
    """The served-entity names GET answers while the endpoint's first deploy runs."""
    body = api.get(f"{API}/{name}").json()
    return [e["name"] for e in body["pending_config"]["served_entities"]]


def create(api: Any, path: str, entity: dict[str, Any]) -> None:
    """Create endpoint ``contract`` serving ``entity`` (unnamed) through ``path``."""
    assert "name" not in entity
    body = {"name": "contract", "config": {"served_entities": [entity]}}
    response = api.post(path, body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("entity", REGULAR.values(), ids=REGULAR.keys())
def test_regular_create_names_the_entity_as_the_client_predicts(api, entity):
    create(api, API, entity)
    assert answered_names(api, "contract") == [entity_name(entity)]


@pytest.mark.parametrize("entity", PT.values(), ids=PT.keys())
def test_pt_create_names_the_entity_as_the_client_predicts(api, entity):
    create(api, f"{API}/pt", entity)
    assert answered_names(api, "contract") == [entity_name(entity)]


def test_the_names_are_really_rewritten():
    """Guard the cases themselves: the external names need the '.' / ':' rewrite."""
    models = [e["external_model"]["name"] for e in REGULAR.values() if "external_model" in e]
    assert any(":" in m for m in models) and any("." in m for m in models)
    assert all(
        entity_name(e) != e["external_model"]["name"]
        for e in REGULAR.values()
        if "external_model" in e
    )
