"""Validation of an ``external_model`` block: provider, task, config block, credentials."""

from __future__ import annotations

from typing import Any

from plane.checks import as_object, check_enum, exactly_one, opt_object, opt_str, req_str, where
from plane.errors import InvalidParameter
from servingcatalogue import Catalogue

TASKS = ("llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings")
PROVIDER_BLOCKS = {
    "ai21labs": "ai21labs_config",
    "amazon-bedrock": "amazon_bedrock_config",
    "anthropic": "anthropic_config",
    "cohere": "cohere_config",
    "custom": "custom_provider_config",
    "databricks-model-serving": "databricks_model_serving_config",
    "google-cloud-vertex-ai": "google_cloud_vertex_ai_config",
    "openai": "openai_config",
    "palm": "palm_config",
}
KEY_SECRETS = {
    "ai21labs_config": ("ai21labs_api_key", ()),
    "anthropic_config": ("anthropic_api_key", ()),
    "cohere_config": ("cohere_api_key", ()),
    "palm_config": ("palm_api_key", ()),
    "google_cloud_vertex_ai_config": ("private_key", ("project_id", "region")),
    "databricks_model_serving_config": ("databricks_api_token", ("databricks_workspace_url",)),
}
AZURE_FIELDS = ("openai_api_base", "openai_api_version", "openai_deployment_name")
ENTRA_FIELDS = ("microsoft_entra_tenant_id", "microsoft_entra_client_id")
BEDROCK_SUBPROVIDERS = ("anthropic", "cohere", "ai21labs", "amazon")


def check_external_model(raw: Any, path: str, catalogue: Catalogue) -> str:
    """Validate an external_model block; return its task."""
    ext = as_object(raw, path)
    provider = req_str(ext, "provider", path)
    check_enum(provider, tuple(PROVIDER_BLOCKS), where(path, "provider"))
    req_str(ext, "name", path)
    task = req_str(ext, "task", path)
    check_enum(task, TASKS, where(path, "task"))
    if task not in catalogue.external_tasks.get(provider, []):
        raise InvalidParameter(f"Provider '{provider}' does not support task '{task}' ({path}).")
    block_name = _config_block(ext, provider, path)
    block = as_object(ext[block_name], where(path, block_name))
    _check_block(block_name, block, path)
    if provider == "amazon-bedrock":
        _check_bedrock_task(str(block["bedrock_provider"]).lower(), task, path, catalogue)
    return task


def _check_bedrock_task(sub: str, task: str, path: str, catalogue: Catalogue) -> None:
    allowed = catalogue.bedrock_tasks.get(task, [])
    if sub not in allowed:
        raise InvalidParameter(
            f"Bedrock provider '{sub}' does not support task '{task}' ({path}); "
            f"use one of {', '.join(allowed)}."
        )


def _config_block(ext: dict[str, Any], provider: str, path: str) -> str:
    want = PROVIDER_BLOCKS[provider]
    blocks = [k for k in ext if k.endswith("_config") and ext[k] is not None]
    for block in blocks:
        if block != want:
            raise InvalidParameter(
                f"'{where(path, block)}' does not match provider '{provider}'; "
                f"provider '{provider}' takes '{want}'."
            )
    if want not in blocks:
        raise InvalidParameter(f"'{path}' with provider '{provider}' needs '{want}'.")
    return want


def _check_block(name: str, block: dict[str, Any], path: str) -> None:
    bpath = where(path, name)
    if name in KEY_SECRETS:
        secret, required = KEY_SECRETS[name]
        for field in required:
            req_str(block, field, bpath)
        exactly_one(block, secret, bpath)
    elif name == "openai_config":
        _check_openai(block, bpath)
    elif name == "amazon_bedrock_config":
        _check_bedrock(block, bpath)
    else:
        _check_custom(block, bpath)


def _check_openai(block: dict[str, Any], path: str) -> None:
    api_type = opt_str(block, "openai_api_type", path) or "openai"
    check_enum(api_type, ("openai", "azure", "azuread"), where(path, "openai_api_type"))
    if api_type in ("azure", "azuread"):
        for field in AZURE_FIELDS:
            req_str(block, field, path)
    if api_type == "azuread":
        for field in ENTRA_FIELDS:
            req_str(block, field, path)
        exactly_one(block, "microsoft_entra_client_secret", path)
        exactly_one(block, "openai_api_key", path, required=False)
    else:
        exactly_one(block, "openai_api_key", path)
    for field in ("openai_api_base", "openai_organization", "openai_deployment_name"):
        opt_str(block, field, path)


def _check_bedrock(block: dict[str, Any], path: str) -> None:
    req_str(block, "aws_region", path)
    sub = req_str(block, "bedrock_provider", path).lower()
    check_enum(sub, BEDROCK_SUBPROVIDERS, where(path, "bedrock_provider"))
    methods = _bedrock_methods(block, path)
    if len(methods) != 1:
        got = ", ".join(methods) or "none"
        raise InvalidParameter(
            f"'{path}' needs exactly one auth method (access keys, instance_profile_arn or "
            f"uc_service_credential_name), got {got}."
        )


def _bedrock_methods(block: dict[str, Any], path: str) -> list[str]:
    methods = []
    keys = {k.removesuffix("_plaintext") for k, v in block.items() if v is not None}
    if keys & {"aws_access_key_id", "aws_secret_access_key"}:
        exactly_one(block, "aws_access_key_id", path)
        exactly_one(block, "aws_secret_access_key", path)
        methods.append("access keys")
    for field in ("instance_profile_arn", "uc_service_credential_name"):
        if opt_str(block, field, path):
            methods.append(field)
    return methods


def _check_custom(block: dict[str, Any], path: str) -> None:
    req_str(block, "custom_provider_url", path)
    api_key = opt_object(block, "api_key_auth", path)
    bearer = opt_object(block, "bearer_token_auth", path)
    if (api_key is None) == (bearer is None):
        raise InvalidParameter(
            f"'{path}' needs exactly one of 'api_key_auth' or 'bearer_token_auth'."
        )
    if api_key is not None:
        req_str(api_key, "key", where(path, "api_key_auth"))
        exactly_one(api_key, "value", where(path, "api_key_auth"))
    if bearer is not None:
        exactly_one(bearer, "token", where(path, "bearer_token_auth"))
