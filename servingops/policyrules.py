"""The rules of a stack policy (``servingops.policy``), one generator per policy key.

``violations(policy, spec)`` yields ``(path, key, message, hint)``: the path in the
endpoint file the finding belongs at, the policy key broken (``allowed_models`` …), what is
wrong, and how to fix it. Placing findings, waivers and the policy file itself are
``servingops.policy``'s.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from servingops.model.endpoint import EndpointSpec, ServedEntity
from servingops.model.fields import registry
from servingops.model.kinds import Tier
from servingops.yamlsrc import Path as YamlPath

if TYPE_CHECKING:
    from servingops.policy import Policy

__all__ = ["WORKLOAD_SIZES", "Violation", "violations"]

WORKLOAD_SIZES = ("Small", "Medium", "Large")
"""``workload_size`` values in increasing order (control-plane-api.md, served entity)."""

Violation = tuple[YamlPath, str, str, str]
"""(path in the endpoint file, rule key, message, hint)."""

_ENABLED_SECTIONS = ("usage_tracking_config", "inference_table_config", "fallback_config")
_DIRECTIONS = ("input", "output")
_WANTED = {"rate_limits": "a non-empty section", "guardrails": "a guardrail that is on"}


def violations(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    """Every way ``spec`` breaks ``policy``, waivers not applied: for a pay-per-token
    reference its tier and name; for other endpoints also the gateway, tags and each
    served entity (provider, model, plaintext credentials, sizing)."""
    yield from _tier(policy, spec)
    if spec.tier is Tier.PAY_PER_TOKEN:
        yield from _model(policy, ("name",), spec.name)
        return
    yield from _gateway(policy, spec)
    yield from _tags(policy, spec)
    for index, entity in enumerate(spec.served_entities):
        yield from _entity(policy, ("served_entities", index), entity)


def _tier(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    allowed = policy.allowed_tiers
    if allowed is not None and spec.tier not in allowed:
        hint = f"allowed tiers: {', '.join(t.value for t in allowed)}"
        yield ("tier",), "allowed_tiers", f"tier '{spec.tier.value}' is not allowed", hint


def _model(policy: Policy, path: YamlPath, model: str) -> Iterator[Violation]:
    patterns = policy.allowed_models
    if patterns is not None and not any(fnmatch.fnmatchcase(model, p) for p in patterns):
        hint = f"allowed models: {', '.join(patterns)}"
        yield path, "allowed_models", f"model '{model}' matches no allowed pattern", hint


def _gateway(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    gateway = spec.ai_gateway
    for section in policy.required_gateway:
        value = gateway.section(section) if gateway is not None else None
        if _section_on(section, value):
            continue
        what = _WANTED.get(section, "an enabled section")
        yield (
            ("ai_gateway", section),
            "required_gateway",
            f"ai_gateway.{section} is required ({what})",
            _gateway_hint(section),
        )


def _section_on(section: str, value: Any) -> bool:
    """True when a required gateway section does something: ``enabled: true``, at least
    one rate limit, or a guardrail that is on (see ``_guards``)."""
    if section in _ENABLED_SECTIONS:
        return isinstance(value, Mapping) and value.get("enabled") is True
    if section == "guardrails":
        return isinstance(value, Mapping) and any(_guards(value.get(d)) for d in _DIRECTIONS)
    return bool(value)


def _guards(params: Any) -> bool:
    """True when one direction's guardrail parameters turn something on: ``safety: true``,
    ``pii.behavior`` BLOCK or MASK (NONE is off), or keywords or topics listed."""
    if not isinstance(params, Mapping):
        return False
    pii = params.get("pii")
    return (
        params.get("safety") is True
        or (isinstance(pii, Mapping) and pii.get("behavior") in ("BLOCK", "MASK"))
        or bool(params.get("invalid_keywords"))
        or bool(params.get("valid_topics"))
    )


def _gateway_hint(section: str) -> str:
    examples = {
        "usage_tracking_config": "usage_tracking_config: {enabled: true}",
        "rate_limits": "rate_limits: [{key: user, calls: 100, renewal_period: minute}]",
        "fallback_config": "fallback_config: {enabled: true}",
        "guardrails": "guardrails: {input: {safety: true}}",
        "inference_table_config": "inference_table_config: {enabled: true, catalog_name: …}",
    }
    return f"add under ai_gateway: {examples[section]}"


def _tags(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    tags = spec.tags or {}
    for key in policy.required_tags:
        if key not in tags:
            hint = f"add it: tags: {{{key}: …}}"
            yield ("tags",), "required_tags", f"tag '{key}' is required", hint


def _entity(policy: Policy, path: YamlPath, entity: ServedEntity) -> Iterator[Violation]:
    ext = entity.external_model
    if ext is not None:
        yield from _provider(
            policy, (*path, "external_model", "provider"), str(ext.get("provider"))
        )
        yield from _model(policy, (*path, "external_model", "name"), str(ext.get("name")))
        if policy.forbid_plaintext:
            yield from _plaintext(policy, path, entity)
        return
    if "entity_name" in entity.fields:
        yield from _model(policy, (*path, "entity_name"), str(entity.fields["entity_name"]))
    yield from _sizing(policy, path, entity.fields)


def _provider(policy: Policy, path: YamlPath, provider: str) -> Iterator[Violation]:
    allowed = policy.allowed_providers
    if allowed is not None and provider not in allowed:
        hint = f"allowed providers: {', '.join(allowed)}"
        yield path, "allowed_providers", f"provider '{provider}' is not allowed", hint


def _plaintext(policy: Policy, path: YamlPath, entity: ServedEntity) -> Iterator[Violation]:
    """Plaintext credentials, found with the schema's field registry (value never shown)."""
    for sub, _value in _leaves(entity.fields, path):
        if registry().is_plaintext_secret(sub):
            reference = str(sub[-1]).removesuffix("_plaintext")
            hint = f"use '{reference}': \"{{{{secrets/<scope>/<key>}}}}\""
            message = f"plaintext credential '{sub[-1]}' is forbidden"
            yield sub, "forbid_plaintext", message, hint


def _leaves(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, Any]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _leaves(sub, (*path, key))
    elif isinstance(value, list | tuple):
        for index, sub in enumerate(value):
            yield from _leaves(sub, (*path, index))
    else:
        yield path, value


def _sizing(policy: Policy, path: YamlPath, fields: Mapping[str, Any]) -> Iterator[Violation]:
    if policy.require_scale_to_zero and fields.get("scale_to_zero_enabled") is not True:
        hint = "set scale_to_zero_enabled: true (with min_provisioned_throughput: 0)"
        if "provisioned_model_units" in fields:
            hint = "size it with min/max_provisioned_throughput and scale_to_zero_enabled: true"
        at = (*path, "scale_to_zero_enabled") if "scale_to_zero_enabled" in fields else path
        yield at, "require_scale_to_zero", "scale-to-zero is required", hint
    yield from _at_most(
        policy.max_provisioned_throughput, path, fields, "max_provisioned_throughput", "tokens/s"
    )
    yield from _at_most(
        policy.max_model_units, path, fields, "provisioned_model_units", "model units"
    )
    yield from _workload(policy, path, fields.get("workload_size"))


def _at_most(
    limit: int | None, path: YamlPath, fields: Mapping[str, Any], key: str, unit: str
) -> Iterator[Violation]:
    value = fields.get(key)
    if limit is not None and isinstance(value, int) and value > limit:
        rule = "max_model_units" if key == "provisioned_model_units" else key
        message = f"{key} {value} is above the limit of {limit} {unit}"
        yield (*path, key), rule, message, f"lower it to {limit} or less"


def _workload(policy: Policy, path: YamlPath, size: Any) -> Iterator[Violation]:
    limit = policy.max_workload_size
    if limit is None or size is None:
        return
    allowed = WORKLOAD_SIZES[: WORKLOAD_SIZES.index(limit) + 1]
    if size not in allowed:
        hint = f"allowed sizes: {', '.join(allowed)}"
        yield (
            (*path, "workload_size"),
            "max_workload_size",
            f"workload_size '{size}' is above {limit}",
            hint,
        )
