"""Semantic rules for external models: provider × task, config blocks, secrets, auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from servingops.model.fields import Sensitivity, is_secret_reference, registry
from servingops.redact import show_value
from servingops.rules.context import Ctx, spaced_reference
from servingops.yamlsrc import Path

# Secret pairs (X, X_plaintext) that must have exactly one member set, per block.
REQUIRED_SECRETS = {
    "anthropic_config": ["anthropic_api_key"],
    "cohere_config": ["cohere_api_key"],
    "ai21labs_config": ["ai21labs_api_key"],
    "palm_config": ["palm_api_key"],
    "google_cloud_vertex_ai_config": ["private_key"],
    "databricks_model_serving_config": ["databricks_api_token"],
}


def rule_provider_task(ctx: Ctx) -> None:
    """The provider serves the endpoint's task (supported-models.md matrix)."""
    task = ctx.data["task"]
    for path, ext in ctx.external_models():
        provider = ext["provider"]
        tasks = ctx.catalogue.external_tasks.get(provider, [])
        if task not in tasks:
            ctx.error(
                (*path, "provider"),
                f"provider '{provider}' does not serve task {task}",
                "provider-task",
                f"{provider} serves: {', '.join(tasks) or 'nothing'}",
            )


def rule_bedrock_subprovider(ctx: Ctx) -> None:
    """An Amazon Bedrock sub-provider serves the endpoint's task."""
    task = ctx.data["task"]
    allowed = ctx.catalogue.bedrock_tasks.get(task, [])
    for path, ext in ctx.external_models():
        conf = ext.get("amazon_bedrock_config")
        if ext["provider"] != "amazon-bedrock" or not isinstance(conf, dict):
            continue
        sub = str(conf.get("bedrock_provider", ""))
        if sub and sub.lower() not in allowed:
            ctx.error(
                (*path, "amazon_bedrock_config", "bedrock_provider"),
                f"Bedrock sub-provider '{sub}' does not serve task {task}",
                "bedrock-task",
                f"for {task} use one of: {', '.join(allowed)}",
            )


def rule_provider_config(ctx: Ctx) -> None:
    """Exactly one ``*_config`` block, and it matches ``provider``."""
    for path, ext in ctx.external_models():
        want = registry().provider_blocks[ext["provider"]]
        blocks = [k for k in ext if k.endswith("_config")]
        for other in blocks:
            if other != want:
                ctx.error(
                    (*path, other),
                    f"'{other}' does not belong to provider '{ext['provider']}'",
                    "provider-config",
                    f"provider '{ext['provider']}' takes '{want}'",
                    key=True,
                )
        if want not in blocks:
            ctx.error(
                path,
                f"provider '{ext['provider']}' needs the '{want}' block",
                "provider-config",
            )


def _pair(ctx: Ctx, path: Path, block: dict[str, Any], name: str, required: bool) -> None:
    has_ref, has_plain = name in block, f"{name}_plaintext" in block
    if has_ref and has_plain:
        ctx.error(
            (*path, f"{name}_plaintext"),
            f"set only one of '{name}' and '{name}_plaintext'",
            "secret-pair",
            f"keep the secret reference in '{name}' and delete '{name}_plaintext'",
            key=True,
        )
    elif required and not (has_ref or has_plain):
        ctx.error(
            path,
            f"missing '{name}' (a {{{{secrets/<scope>/<key>}}}} reference)",
            "secret-pair",
            f"or '{name}_plaintext' with --allow-plaintext (not recommended)",
        )


def _config_blocks(ctx: Ctx) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for path, ext in ctx.external_models():
        for key, block in ext.items():
            if key.endswith("_config") and isinstance(block, dict):
                yield (*path, key), key, block


def rule_secret_pairs(ctx: Ctx) -> None:
    """Exactly one of each credential pair ``X`` / ``X_plaintext``."""
    for path, kind, block in _config_blocks(ctx):
        for name in REQUIRED_SECRETS.get(kind, []):
            _pair(ctx, path, block, name, required=True)
        if kind == "openai_config":
            azuread = block.get("openai_api_type") == "azuread"
            _pair(ctx, path, block, "openai_api_key", required=not azuread)
            _pair(ctx, path, block, "microsoft_entra_client_secret", required=azuread)
        if kind == "amazon_bedrock_config":
            _pair(ctx, path, block, "aws_access_key_id", required=False)
            _pair(ctx, path, block, "aws_secret_access_key", required=False)
        if kind == "custom_provider_config":
            _custom_auth_pairs(ctx, path, block)


def _custom_auth_pairs(ctx: Ctx, path: Path, block: dict[str, Any]) -> None:
    if isinstance(block.get("api_key_auth"), dict):
        _pair(ctx, (*path, "api_key_auth"), block["api_key_auth"], "value", required=True)
    if isinstance(block.get("bearer_token_auth"), dict):
        _pair(ctx, (*path, "bearer_token_auth"), block["bearer_token_auth"], "token", True)


def _secret_values(obj: Any, path: Path) -> Iterator[tuple[Path, str, Any]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, dict | list):
                yield from _secret_values(value, (*path, key))
            else:
                yield (*path, key), key, value
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _secret_values(item, (*path, i))


def _is_reference_field(path: Path) -> bool:
    """The registry says the field holds a ``{{secrets/…}}`` reference."""
    return registry().sensitivity_of(path) is Sensitivity.SECRET_REFERENCE


def rule_secret_refs(ctx: Ctx) -> None:
    """Credential fields hold ``{{secrets/scope/key}}`` references, never raw keys."""
    for path, ext in ctx.external_models():
        for spath, key, value in _secret_values(ext, path):
            if not _is_reference_field(spath) or is_secret_reference(value):
                continue
            spaced = spaced_reference(key, value)
            if spaced is not None:
                ctx.error(spath, spaced[0], "secret-ref", spaced[1])
            else:
                ctx.error(
                    spath,
                    f"'{key}' must be a secret reference like {{{{secrets/<scope>/<key>}}}}, "
                    f"got {show_value(value, secret=True)}",
                    "secret-ref",
                    f"store it with `databricks secrets put-secret <scope> <key>`; "
                    f"a raw value belongs in '{key}_plaintext' (needs --allow-plaintext)",
                )


def rule_plaintext(ctx: Ctx) -> None:
    """``*_plaintext`` secrets are refused unless ``--allow-plaintext``; values never shown."""
    if ctx.allow_plaintext:
        return
    for path, ext in ctx.external_models():
        for spath, key, _ in _secret_values(ext, path):
            if registry().is_plaintext_secret(spath):
                ctx.error(
                    spath,
                    f"plaintext secret in '{key}' (value hidden)",
                    "plaintext-secret",
                    f"use '{key.removesuffix('_plaintext')}: \"{{{{secrets/<scope>/<key>}}}}\"'; "
                    "or pass --allow-plaintext to accept write-only plaintext keys",
                    key=True,
                )


AZURE_REQUIRED = ["openai_api_base", "openai_api_version", "openai_deployment_name"]
ENTRA_REQUIRED = ["microsoft_entra_tenant_id", "microsoft_entra_client_id"]


_AZURE_HINT = {
    "azure": "Azure OpenAI needs openai_api_base, openai_api_version, openai_deployment_name",
    "azuread": "Entra ID auth needs those three plus microsoft_entra_tenant_id/client_id",
}


def rule_azure_openai(ctx: Ctx) -> None:
    """Azure OpenAI (``azure``/``azuread``) needs base, version and deployment; Entra its ids."""
    for path, kind, block in _config_blocks(ctx):
        api_type = block.get("openai_api_type", "openai")
        if kind != "openai_config" or api_type not in ("azure", "azuread"):
            continue
        needed = AZURE_REQUIRED + (ENTRA_REQUIRED if api_type == "azuread" else [])
        for name in needed:
            if name not in block:
                ctx.error(
                    path,
                    f"Azure OpenAI (openai_api_type: {api_type}) needs '{name}'",
                    "azure-openai",
                    _AZURE_HINT[api_type],
                )


def rule_bedrock_auth(ctx: Ctx) -> None:
    """Amazon Bedrock uses exactly one auth method: access keys, instance profile, UC credential."""
    for path, kind, block in _config_blocks(ctx):
        if kind != "amazon_bedrock_config":
            continue
        methods = _bedrock_methods(block)
        if len(methods) != 1:
            got = ", ".join(methods) if methods else "none"
            ctx.error(
                path,
                f"Amazon Bedrock needs exactly one auth method, got {got}",
                "bedrock-auth",
                "use access keys (aws_access_key_id + aws_secret_access_key), "
                "instance_profile_arn, or uc_service_credential_name",
            )


def _bedrock_methods(block: dict[str, Any]) -> list[str]:
    keys = {k.removesuffix("_plaintext") for k in block}
    methods = []
    if keys & {"aws_access_key_id", "aws_secret_access_key"}:
        methods.append("access keys")
        if not {"aws_access_key_id", "aws_secret_access_key"} <= keys:
            methods.append("(incomplete: both key id and secret key are needed)")
    if "instance_profile_arn" in block:
        methods.append("instance_profile_arn")
    if "uc_service_credential_name" in block:
        methods.append("uc_service_credential_name")
    return methods


def rule_custom_auth(ctx: Ctx) -> None:
    """A custom provider uses exactly one of api_key_auth or bearer_token_auth."""
    for path, kind, block in _config_blocks(ctx):
        if kind != "custom_provider_config":
            continue
        present = [k for k in ("api_key_auth", "bearer_token_auth") if k in block]
        if len(present) != 1:
            ctx.error(
                path,
                "a custom provider needs exactly one of api_key_auth or bearer_token_auth, "
                f"got {', '.join(present) or 'none'}",
                "custom-auth",
            )


def rule_unknown_model(ctx: Ctx) -> None:
    """Warn on an upstream model name the catalogue does not know (it may be new)."""
    for path, ext in ctx.external_models():
        known = ctx.catalogue.known_external_models.get(ext["provider"])
        if known and ext["name"] not in known:
            ctx.warn(
                (*path, "name"),
                f"unknown {ext['provider']} model '{ext['name']}'",
                "unknown-model",
                f"check the spelling; known: {', '.join(known[:6])}, …",
            )
