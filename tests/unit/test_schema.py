"""The endpoint-file JSON Schema (``schemas/endpoint.schema.json``) and the examples in
``endpoints/``: the schema is well formed, documented and closed; every example passes it
(and the semantic checks); the examples cover the catalogue's provider × task matrix;
typical mistakes fail with the expected JSON Schema keyword.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from databricks.sdk.service import serving
from jsonschema import Draft202012Validator

from servingcatalogue import load_catalogue
from servingops.loader import load_endpoints
from servingops.model import SmokeSpec
from servingops.model.fields import is_secret_reference

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "endpoint.schema.json"
EXAMPLE_DIR = ROOT / "endpoints"
EXAMPLES = sorted(EXAMPLE_DIR.glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../schemas/endpoint.schema.json"
DELETE = object()

Doc = dict[str, Any]
JsonPath = tuple[str | int, ...]


@cache
def _schema() -> Doc:
    loaded: Doc = json.loads(SCHEMA_FILE.read_text("utf-8"))
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def _load(path: Path) -> Doc:
    data: Doc = yaml.safe_load(path.read_text("utf-8"))
    return data


def _defs() -> Doc:
    defs: Doc = _schema()["$defs"]
    return defs


def _props(def_name: str) -> set[str]:
    return set(_defs()[def_name]["properties"])


# --- the schema itself -----------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://servingops.dev/schemas/endpoint.schema.json"
    assert schema["title"] and schema["description"]


def _property_schemas(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    """Every (path, schema) under a ``properties`` mapping, skipping ``if`` conditions."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _property_schemas(item, f"{path}/{i}")
    if not isinstance(node, dict):
        return
    for key, prop in (node.get("properties") or {}).items():
        yield f"{path}/properties/{key}", prop
    for key, child in node.items():
        if key != "if":
            yield from _property_schemas(child, f"{path}/{key}")


def test_every_property_and_def_has_a_description() -> None:
    found = list(_property_schemas(_schema()))
    missing = [p for p, s in found if not (isinstance(s, dict) and s.get("description"))]
    missing += [f"#/$defs/{n}" for n, s in _defs().items() if not s.get("description")]
    assert len(found) > 100, "the walk should see every property of the schema"
    assert missing == []


def _object_schemas(node: Any, path: str = "#") -> Iterator[tuple[str, Doc]]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _object_schemas(item, f"{path}/{i}")
    if not isinstance(node, dict):
        return
    if node.get("type") == "object":
        yield path, node
    for key, child in node.items():
        yield from _object_schemas(child, f"{path}/{key}")


def test_every_object_is_closed_so_typos_are_caught() -> None:
    objects = list(_object_schemas(_schema()))
    fixed = [(p, s) for p, s in objects if "properties" in s]
    maps = [(p, s) for p, s in objects if "properties" not in s]
    assert len(fixed) > 20 and len(maps) >= 3
    assert [p for p, s in fixed if s.get("additionalProperties") is not False] == []
    assert [p for p, s in maps if not isinstance(s.get("additionalProperties"), dict)] == []


def test_enums_match_the_catalogue() -> None:
    cat = load_catalogue()
    props = _schema()["properties"]
    assert set(_defs()["external_model"]["properties"]["provider"]["enum"]) == set(
        cat.external_tasks
    )
    assert set(props["task"]["enum"]) == {t for ts in cat.external_tasks.values() for t in ts}
    bedrock = _defs()["amazon_bedrock_config"]["properties"]["bedrock_provider"]["enum"]
    assert {b.lower() for b in bedrock} == {p for ps in cat.bedrock_tasks.values() for p in ps}


def _sdk_fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


SDK_BLOCKS = {
    "openai_config": serving.OpenAiConfig,
    "anthropic_config": serving.AnthropicConfig,
    "cohere_config": serving.CohereConfig,
    "amazon_bedrock_config": serving.AmazonBedrockConfig,
    "google_cloud_vertex_ai_config": serving.GoogleCloudVertexAiConfig,
    "ai21labs_config": serving.Ai21LabsConfig,
    "palm_config": serving.PaLmConfig,
    "databricks_model_serving_config": serving.DatabricksModelServingConfig,
    "custom_provider_config": serving.CustomProviderConfig,
    "api_key_auth": serving.ApiKeyAuth,
    "bearer_token_auth": serving.BearerTokenAuth,
    "ai_gateway": serving.AiGatewayConfig,
    "usage_tracking_config": serving.AiGatewayUsageTrackingConfig,
    "inference_table_config": serving.AiGatewayInferenceTableConfig,
    "rate_limit": serving.AiGatewayRateLimit,
    "guardrails": serving.AiGatewayGuardrails,
    "guardrail_parameters": serving.AiGatewayGuardrailParameters,
    "pii": serving.AiGatewayGuardrailPiiBehavior,
    "fallback_config": serving.FallbackConfig,
    "email_notifications": serving.EmailNotifications,
}


@pytest.mark.parametrize("def_name", sorted(SDK_BLOCKS))
def test_block_has_exactly_the_sdk_fields(def_name: str) -> None:
    assert _props(def_name) == _sdk_fields(SDK_BLOCKS[def_name])


def test_entities_use_sdk_fields_and_task_stays_top_level() -> None:
    assert _props("external_model") == _sdk_fields(serving.ExternalModel) - {"task"}
    entity = _sdk_fields(serving.ServedEntityInput)
    assert _props("provisioned_entity") == entity - {"external_model"}
    assert _props("external_entity") == {"name", "external_model"}


def test_sdk_enums_match() -> None:
    workload = _defs()["provisioned_entity"]["properties"]["workload_type"]["enum"]
    assert set(workload) == {w.value for w in serving.ServingModelWorkloadType}
    limit = _defs()["rate_limit"]["properties"]
    assert set(limit["key"]["enum"]) == {k.value for k in serving.AiGatewayRateLimitKey}
    periods = {p.value for p in serving.AiGatewayRateLimitRenewalPeriod}
    assert set(limit["renewal_period"]["enum"]) == periods
    pii = _defs()["pii"]["properties"]["behavior"]["enum"]
    assert set(pii) == {b.value for b in serving.AiGatewayGuardrailPiiBehaviorBehavior}


def test_secret_pairs_are_complete_and_plaintext_is_write_only() -> None:
    refs, plain = _secret_fields()
    assert len(plain) == 12  # control-plane-api.md §4: twelve write-only *_plaintext fields
    assert {f"{r}_plaintext" for r in refs} == plain
    assert _defs()["plaintext_secret"]["writeOnly"] is True


def _secret_fields() -> tuple[set[str], set[str]]:
    """Names of the secret-reference and plaintext-secret properties, from the schema."""
    refs, plain = set(), set()
    for path, prop in _property_schemas(_defs()):
        key = path.rsplit("/", 1)[-1]
        if prop.get("$ref") == "#/$defs/secret_reference":
            refs.add(key)
        if prop.get("$ref") == "#/$defs/plaintext_secret":
            plain.add(key)
    return refs, plain


def test_smoke_defaults_match_the_spec_defaults() -> None:
    smoke = _defs()["smoke"]["properties"]
    spec = SmokeSpec()
    for key in ("enabled", "prompt", "max_tokens", "timeout_seconds", "per_entity", "on_failure"):
        assert smoke[key]["default"] == getattr(spec, key), key


# --- the examples ----------------------------------------------------------------------


def test_there_are_examples_of_every_tier() -> None:
    tiers = {_load(p)["tier"] for p in EXAMPLES}
    assert tiers == {"external", "provisioned", "pay-per-token"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_matches_the_schema(path: Path) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(_load(path))
    ]
    assert errors == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_has_modeline_comment_and_file_name(path: Path) -> None:
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == MODELINE
    assert lines[1].startswith("# ") and len(lines[1]) > 20, "second line says what it shows"
    assert path.stem == _load(path)["name"]


def test_examples_pass_the_semantic_checks_without_warnings() -> None:
    result = load_endpoints([EXAMPLE_DIR])
    shown = [f"{d.file}:{d.line}: {d.message}" for d in result.report.diagnostics]
    assert shown == []
    assert len(result.specs) == len(EXAMPLES)


def _external_models() -> Iterator[tuple[str, Doc]]:
    for path in EXAMPLES:
        doc = _load(path)
        for entity in doc.get("served_entities") or []:
            if "external_model" in entity:
                yield doc["task"], entity["external_model"]


def test_examples_cover_every_provider_task_cell_of_the_catalogue() -> None:
    cat = load_catalogue()
    wanted = {(p, t) for p, tasks in cat.external_tasks.items() for t in tasks}
    covered = {(m["provider"], task) for task, m in _external_models()}
    assert wanted - covered == set()
    assert covered - wanted == set()


BEDROCK_AUTH = {"aws_access_key_id", "instance_profile_arn", "uc_service_credential_name"}


def test_bedrock_examples_cover_each_task_and_auth_method() -> None:
    cat = load_catalogue()
    seen: dict[str, set[str]] = {}
    methods: set[str] = set()
    for task, model in _external_models():
        conf = model.get("amazon_bedrock_config")
        if conf:
            seen.setdefault(task, set()).add(conf["bedrock_provider"].lower())
            methods |= set(conf) & BEDROCK_AUTH
    assert set(seen) == set(cat.bedrock_tasks)
    assert all(subs <= set(cat.bedrock_tasks[task]) for task, subs in seen.items())
    assert methods == BEDROCK_AUTH


def test_openai_examples_show_key_azure_and_entra_auth() -> None:
    types = {
        m["openai_config"].get("openai_api_type", "openai")
        for _, m in _external_models()
        if m["provider"] == "openai"
    }
    assert types == {"openai", "azure", "azuread"}


def test_custom_examples_show_both_auth_methods() -> None:
    auths = {
        key
        for _, m in _external_models()
        if m["provider"] == "custom"
        for key in m["custom_provider_config"]
        if key.endswith("_auth")
    }
    assert auths == {"api_key_auth", "bearer_token_auth"}


def _leaves(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_secrets_are_references_only(path: Path) -> None:
    refs, plain = _secret_fields()
    leaves = list(_leaves(_load(path)))
    assert [p for p, _ in leaves if p[-1] in plain] == []
    bad = [p for p, v in leaves if p[-1] in refs and not is_secret_reference(v)]
    assert bad == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_rate_limits_never_disable_the_endpoint(path: Path) -> None:
    limits = (_load(path).get("ai_gateway") or {}).get("rate_limits") or []
    assert all(limit.get("calls") != 0 and limit.get("tokens") != 0 for limit in limits)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_smoke_fits_its_task(path: Path) -> None:
    doc = _load(path)
    smoke = doc["smoke"]
    assert smoke.get("enabled", True) is True
    if doc["task"] == "llm/v1/embeddings":
        assert smoke["input"]
        dims = {load_catalogue().embedding_dimension(m) for m in _models(doc)}
        assert dims == {smoke["expect"]["dimension"]}
    else:
        assert smoke["prompt"] and smoke["expect"]["contains"]
        assert "dimension" not in smoke["expect"] and "input" not in smoke


def _models(doc: Doc) -> list[str]:
    if doc["tier"] == "pay-per-token":
        return [doc["name"]]
    return [
        str(e["external_model"]["name"]) if "external_model" in e else str(e["entity_name"])
        for e in doc["served_entities"]
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_tag_values_are_quoted_or_plain_strings(path: Path) -> None:
    tags = _load(path).get("tags") or {}
    assert all(isinstance(v, str) for v in tags.values())


# --- mistakes the schema catches --------------------------------------------------------

EXTERNAL: Doc = {
    "name": "chat",
    "tier": "external",
    "task": "llm/v1/chat",
    "served_entities": [
        {
            "name": "gpt",
            "external_model": {
                "provider": "openai",
                "name": "gpt-4o-mini",
                "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
            },
        }
    ],
    "ai_gateway": {"rate_limits": [{"key": "user", "calls": 10, "renewal_period": "minute"}]},
    "smoke": {"prompt": "hi", "max_tokens": 4},
}
PROVISIONED: Doc = {
    "name": "llama",
    "tier": "provisioned",
    "task": "llm/v1/chat",
    "served_entities": [
        {
            "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
            "entity_version": "2",
            "provisioned_model_units": 50,
        }
    ],
}
PAY_PER_TOKEN: Doc = {
    "name": "databricks-meta-llama-3-3-70b-instruct",
    "tier": "pay-per-token",
    "task": "llm/v1/chat",
}
BASES = {"external": EXTERNAL, "provisioned": PROVISIONED, "pay-per-token": PAY_PER_TOKEN}
EM: JsonPath = ("served_entities", 0, "external_model")
PE: JsonPath = ("served_entities", 0)
RL: JsonPath = ("ai_gateway", "rate_limits", 0)
BEDROCK = {"provider": "amazon-bedrock", "name": "amazon.titan-embed-text-v2:0"}
SIXTEEN = [copy.deepcopy(EXTERNAL["served_entities"][0]) for _ in range(16)]

# (id, base, path to set, value or DELETE, expected keyword, path of the error)
NEGATIVE: list[tuple[str, str, JsonPath, Any, str, JsonPath]] = [
    ("unknown-top-key", "external", ("descripton",), "x", "additionalProperties", ()),
    ("unknown-config-key", "external", (*EM, "openai_config", "api_key"), "k",
     "additionalProperties", (*EM, "openai_config")),
    ("task-in-external-model", "external", (*EM, "task"), "llm/v1/chat",
     "additionalProperties", EM),
    ("bad-tier", "external", ("tier",), "externel", "enum", ("tier",)),
    ("bad-task", "external", ("task",), "llm/v1/chats", "enum", ("task",)),
    ("bad-provider", "external", (*EM, "provider"), "openia", "enum", (*EM, "provider")),
    ("bad-bedrock-provider", "external", (*EM, "amazon_bedrock_config"),
     {"aws_region": "us-east-1", "bedrock_provider": "titan"}, "enum",
     (*EM, "amazon_bedrock_config", "bedrock_provider")),
    ("bedrock-without-region", "external", (*EM, "amazon_bedrock_config"),
     {"bedrock_provider": "amazon"}, "required", (*EM, "amazon_bedrock_config")),
    ("bool-as-string", "external", ("route_optimized",), "yes", "type", ("route_optimized",)),
    ("missing-tier", "external", ("tier",), DELETE, "required", ()),
    ("missing-external-model", "external", EM, DELETE, "required", PE),
    ("external-without-entities", "external", ("served_entities",), DELETE, "required", ()),
    ("no-entities", "external", ("served_entities",), [], "minItems", ("served_entities",)),
    ("sixteen-entities", "external", ("served_entities",), SIXTEEN, "maxItems",
     ("served_entities",)),
    ("entity-mixes-kinds", "external", (*PE, "entity_name"), "system.ai.x",
     "additionalProperties", PE),
    ("tag-number", "external", ("tags",), {"cost-center": 42}, "type", ("tags", "cost-center")),
    ("max-tokens-17", "external", ("smoke", "max_tokens"), 17, "maximum",
     ("smoke", "max_tokens")),
    ("max-tokens-0", "external", ("smoke", "max_tokens"), 0, "minimum", ("smoke", "max_tokens")),
    ("smoke-on-failure", "external", ("smoke", "on_failure"), "retry", "enum",
     ("smoke", "on_failure")),
    ("smoke-timeout", "external", ("smoke", "timeout_seconds"), 300, "maximum",
     ("smoke", "timeout_seconds")),
    ("traffic-101", "external", ("traffic",), {"gpt": 101}, "maximum", ("traffic", "gpt")),
    ("traffic-string", "external", ("traffic",), {"gpt": "100"}, "type", ("traffic", "gpt")),
    ("name-pattern", "external", ("name",), "my.chat", "pattern", ("name",)),
    ("name-too-long", "external", ("name",), "a" * 64, "maxLength", ("name",)),
    ("entity-name-pattern", "external", (*PE, "name"), "g p t", "pattern", (*PE, "name")),
    ("rate-limit-period", "external", (*RL, "renewal_period"), "hour", "enum",
     (*RL, "renewal_period")),
    ("rate-limit-no-period", "external", (*RL, "renewal_period"), DELETE, "required", RL),
    ("rate-limit-negative", "external", (*RL, "calls"), -1, "minimum", (*RL, "calls")),
    ("rate-limit-key", "external", (*RL, "key"), "team", "enum", (*RL, "key")),
    ("pii-behavior", "external", ("ai_gateway", "guardrails"),
     {"input": {"pii": {"behavior": "REDACT"}}}, "enum",
     ("ai_gateway", "guardrails", "input", "pii", "behavior")),
    ("fallback-no-enabled", "external", ("ai_gateway", "fallback_config"), {}, "required",
     ("ai_gateway", "fallback_config")),
    ("custom-auth-no-key", "external", (*EM, "custom_provider_config"),
     {"custom_provider_url": "https://x", "api_key_auth": {"value": "{{secrets/a/b}}"}},
     "required", (*EM, "custom_provider_config", "api_key_auth")),
    ("entity-version-number", "provisioned", (*PE, "entity_version"), 2, "type",
     (*PE, "entity_version")),
    ("entity-version-missing", "provisioned", (*PE, "entity_version"), DELETE, "required", PE),
    ("entity-name-not-uc", "provisioned", (*PE, "entity_name"), "llama", "pattern",
     (*PE, "entity_name")),
    ("model-units-0", "provisioned", (*PE, "provisioned_model_units"), 0, "minimum",
     (*PE, "provisioned_model_units")),
    ("workload-type", "provisioned", (*PE, "workload_type"), "TPU", "enum",
     (*PE, "workload_type")),
    ("provisioned-external-model", "provisioned", (*PE, "external_model"), BEDROCK,
     "additionalProperties", PE),
    ("env-var-number", "provisioned", (*PE, "environment_vars"), {"N": 1}, "type",
     (*PE, "environment_vars", "N")),
    ("pay-per-token-entities", "pay-per-token", ("served_entities",),
     EXTERNAL["served_entities"], "additionalProperties", ()),
    ("pay-per-token-tags", "pay-per-token", ("tags",), {}, "additionalProperties", ()),
    ("pay-per-token-permissions", "pay-per-token", ("permissions",), [],
     "additionalProperties", ()),
    ("permission-level", "external", ("permissions",), [{"level": "CAN_USE", "group_name": "g"}],
     "enum", ("permissions", 0, "level")),
    ("permission-no-level", "external", ("permissions",), [{"group_name": "g"}],
     "required", ("permissions", 0)),
    ("protect-string", "external", ("protect",), "true", "type", ("protect",)),
]  # fmt: skip


def _mutated(base: Doc, path: JsonPath, value: Any) -> Doc:
    doc = copy.deepcopy(base)
    node: Any = doc
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return doc


@pytest.mark.parametrize("tier", sorted(BASES))
def test_negative_bases_are_valid(tier: str) -> None:
    assert list(_validator().iter_errors(BASES[tier])) == []


@pytest.mark.parametrize(
    ("base", "path", "value", "keyword", "where"),
    [case[1:] for case in NEGATIVE],
    ids=[case[0] for case in NEGATIVE],
)
def test_mistake_fails_with_expected_keyword(
    base: str, path: JsonPath, value: Any, keyword: str, where: JsonPath
) -> None:
    errors = list(_validator().iter_errors(_mutated(BASES[base], path, value)))
    got = {(str(e.validator), tuple(e.absolute_path)) for e in errors}
    assert (keyword, where) in got


def test_pay_per_token_reference_may_declare_an_ai_gateway() -> None:
    """Issue 10: admins rate-limit the `databricks-*` endpoints; the API accepts a gateway."""
    gateway = {"rate_limits": [{"key": "user", "calls": 60, "renewal_period": "minute"}]}
    doc = _mutated(BASES["pay-per-token"], ("ai_gateway",), gateway)
    assert list(_validator().iter_errors(doc)) == []


def test_permissions_take_the_bundles_shape() -> None:
    """The Databricks Asset Bundles `permissions` list validates unchanged."""
    acl = [
        {"level": "CAN_QUERY", "service_principal_name": "7d1c2b3a-0000-4000-8000-000000000001"},
        {"level": "CAN_MANAGE", "group_name": "ml-platform"},
        {"level": "CAN_VIEW", "user_name": "ana@example.com"},
    ]
    doc = _mutated(BASES["external"], ("permissions",), acl)
    assert list(_validator().iter_errors(doc)) == []
