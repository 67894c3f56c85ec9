"""Read-only descriptions: model-optimization info, an endpoint's OpenAPI, served-entity logs."""

from __future__ import annotations

from typing import Any

from plane.errors import CustomError, EntityNotFound
from plane.resource import EndpointResource
from servingcatalogue import Catalogue

MODEL_TYPES = ("llama", "dbrx", "mixtral", "mistral", "mpt", "gte", "bge")
TASK_SCHEMAS: dict[str, dict[str, Any]] = {
    "llm/v1/chat": {
        "type": "object",
        "required": ["messages"],
        "properties": {
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "content"],
                    "properties": {"role": {"type": "string"}, "content": {}},
                },
            },
            "max_tokens": {"type": "integer"},
            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
            "stream": {"type": "boolean"},
        },
    },
    "llm/v1/completions": {
        "type": "object",
        "required": ["prompt"],
        "properties": {
            "prompt": {
                "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
            "max_tokens": {"type": "integer"},
            "stream": {"type": "boolean"},
        },
    },
    "llm/v1/embeddings": {
        "type": "object",
        "required": ["input"],
        "properties": {
            "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
        },
    },
}


def model_optimization_info(catalogue: Catalogue, model: str, version: str) -> dict[str, Any]:
    """``{optimizable, model_type, throughput_chunk_size}`` of a UC model version."""
    info = catalogue.foundation_models.get(model)
    if info is None:
        if model.startswith("system.ai."):
            raise _missing(f"Model '{model}' does not exist.")
        return {"optimizable": False}
    if version not in [str(v) for v in info.get("versions", [])]:
        raise _missing(f"Version '{version}' of model '{model}' does not exist.")
    if info.get("retired"):
        return {"optimizable": False}
    short = model.removeprefix("system.ai.")
    kind = next((t for t in MODEL_TYPES if t in short), short.split("_")[0])
    return {
        "optimizable": True,
        "model_type": kind,
        "throughput_chunk_size": int(info["throughput_chunk_size"]),
    }


def _missing(message: str) -> CustomError:
    return CustomError(404, "RESOURCE_DOES_NOT_EXIST", message)


def openapi_document(endpoint: EndpointResource, base_url: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document for querying the endpoint (by task)."""
    name = endpoint.name
    schema = TASK_SCHEMAS.get(str(endpoint.task), {"type": "object"})
    operation = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "Successful response"}},
    }
    config = endpoint.latest_config()
    paths = {"/invocations": {"post": operation}}
    for entity in endpoint.entity_names():
        paths[f"/served-models/{entity}/invocations"] = {"post": operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": name, "version": str(config.config_version if config else 1)},
        "servers": [{"url": f"{base_url.rstrip('/')}/serving-endpoints/{name}"}],
        "paths": paths,
    }


def entity_logs(endpoint: EndpointResource, entity: str, kind: str) -> dict[str, str]:
    """``{logs}`` of a served entity (``build`` or ``server`` logs); 404 if unknown."""
    if entity not in endpoint.entity_names():
        raise EntityNotFound(endpoint.name, entity)
    if kind == "build":
        text = f"[plane] build of served entity '{entity}' skipped: nothing to build locally.\n"
    else:
        text = f"[plane] served entity '{entity}' of endpoint '{endpoint.name}' is answering.\n"
    return {"logs": text}
