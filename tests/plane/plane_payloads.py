"""Request bodies and small assertions shared by the plane tests."""

from __future__ import annotations

import copy
from typing import Any

import httpx

API = "/api/2.0/serving-endpoints"
SECRET = "{{secrets/llm/openai}}"


def openai_entity(name: str = "gpt", model: str = "gpt-4o-mini", **config: Any) -> dict[str, Any]:
    """An OpenAI external-model served entity (chat), keyed by a secret reference."""
    openai_config = {"openai_api_key": SECRET, **config}
    return {
        "name": name,
        "external_model": {
            "provider": "openai",
            "name": model,
            "task": "llm/v1/chat",
            "openai_config": openai_config,
        },
    }


def anthropic_entity(name: str = "claude") -> dict[str, Any]:
    """An Anthropic external-model served entity (chat)."""
    return {
        "name": name,
        "external_model": {
            "provider": "anthropic",
            "name": "claude-sonnet-4",
            "task": "llm/v1/chat",
            "anthropic_config": {"anthropic_api_key": "{{secrets/llm/anthropic}}"},
        },
    }


def chat_endpoint(name: str = "chat", *entities: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A create body for an external chat endpoint (one OpenAI entity by default)."""
    config: dict[str, Any] = {"served_entities": list(entities) or [openai_entity()]}
    if "traffic" in extra:
        routes = [
            {"served_entity_name": k, "traffic_percentage": v}
            for k, v in extra.pop("traffic").items()
        ]
        config["traffic_config"] = {"routes": routes}
    return {"name": name, "config": config, **extra}


def two_entity_endpoint(name: str = "chat", gpt: int = 90, claude: int = 10) -> dict[str, Any]:
    """An endpoint with an OpenAI and an Anthropic entity and a traffic split."""
    return chat_endpoint(
        name, openai_entity(), anthropic_entity(), traffic={"gpt": gpt, "claude": claude}
    )


def pt_entity(
    units: int = 50, model: str = "system.ai.meta_llama_v3_3_70b_instruct"
) -> dict[str, Any]:
    """A ``PtServedModel`` for the ``/pt`` routes."""
    return {
        "name": "llama",
        "entity_name": model,
        "entity_version": "1",
        "provisioned_model_units": units,
    }


def pt_endpoint(name: str = "llama-pt", **entity: Any) -> dict[str, Any]:
    """A ``/pt`` create body."""
    return {"name": name, "config": {"served_entities": [pt_entity(**entity)]}}


def with_change(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the dotted ``path`` (``config.served_entities.0.name``) set."""
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return out


DELETE = object()


def assert_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    """The response is an API error with exactly this status, error_code and message."""
    assert response.status_code == status, response.text
    assert response.json() == {"error_code": code, "message": message}
