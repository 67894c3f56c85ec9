"""Semantic checks the JSON Schema cannot express, in the order they run."""

from __future__ import annotations

from collections.abc import Callable

from servingops.rules import endpoint as e
from servingops.rules import external as x
from servingops.rules import permissions as p
from servingops.rules.context import Ctx

FILE_RULES: list[Callable[[Ctx], None]] = [
    x.rule_provider_task,
    x.rule_bedrock_subprovider,
    x.rule_provider_config,
    x.rule_secret_pairs,
    x.rule_secret_refs,
    x.rule_plaintext,
    x.rule_azure_openai,
    x.rule_bedrock_auth,
    x.rule_custom_auth,
    x.rule_unknown_model,
    e.rule_entity_names,
    e.rule_default_entity_names,
    e.rule_workload_sizing,
    e.rule_environment_vars,
    e.rule_traffic,
    e.rule_provisioned,
    e.rule_retirements,
    e.rule_pay_per_token,
    e.rule_pt_description,
    e.rule_rate_limits,
    e.rule_inference_table,
    e.rule_fallback,
    e.rule_smoke_dimension,
    e.rule_reserved_tag,
    p.rule_permissions,
]
