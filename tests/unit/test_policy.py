"""Stack policies (servingops.policy): the policy file's own errors at its lines, and each
rule's findings at the endpoint file's line, evaluated on the typed model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from servingops.diagnostics import Diagnostic
from servingops.loader import load_endpoints
from servingops.policy import check_policy, load_policy

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_POLICIES = REPO / "servingops" / "templates" / "project" / "policies"

CHAT = """\
name: chat
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: "{{secrets/llm/openai}}"
  - name: cmd
    external_model:
      provider: cohere
      name: command-r
      cohere_config:
        cohere_api_key_plaintext: sk-SENTINEL-POLICY
traffic: {gpt: 50, cmd: 50}
ai_gateway:
  usage_tracking_config: {enabled: false}
tags: {env: dev}
"""

LLAMA = """\
name: llama
tier: provisioned
task: llm/v1/chat
served_entities:
  - name: llama
    entity_name: system.ai.meta_llama_v3_3_70b_instruct
    entity_version: "2"
    min_provisioned_throughput: 0
    max_provisioned_throughput: 19000
    scale_to_zero_enabled: false
"""

UNITS = """\
name: units
tier: provisioned
task: llm/v1/embeddings
served_entities:
  - name: gte
    entity_name: system.ai.gte_large_en_v1_5
    entity_version: "1"
    provisioned_model_units: 20
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _findings(tmp_path: Path, policy: str, **files: str) -> list[Diagnostic]:
    endpoints = tmp_path / "endpoints"
    for name, text in files.items():
        _write(endpoints, f"{name}.yaml", text)
    result = load_endpoints([endpoints], allow_plaintext=True)
    assert result.ok, result.report.diagnostics
    loaded, problems = load_policy(_write(tmp_path, "policy.yaml", policy))
    assert loaded is not None, problems
    return check_policy(loaded, result.specs)


def _where(found: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return sorted((Path(d.file).name, d.line, d.rule) for d in found)


# --- the policy file itself ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        REPO / "policies" / "dev.yaml",
        REPO / "policies" / "prod.yaml",
        TEMPLATE_POLICIES / "dev.yaml",
        TEMPLATE_POLICIES / "prod.yaml",
    ],
    ids=lambda p: f"{p.parent.parent.name}/{p.name}",
)
def test_shipped_policies_load(path: Path) -> None:
    policy, problems = load_policy(path)
    assert problems == [] and policy is not None
    assert policy.name == path.stem


def test_unknown_key_in_policy_is_placed_on_its_line_with_a_suggestion(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "p.yaml", "name: p\nforbid_plaintext: true\nrequired_gatway: [rate_limits]\n"
    )
    policy, problems = load_policy(path)
    assert policy is None
    [d] = problems
    assert (d.file, d.line, d.col) == (str(path), 3, 1)
    assert d.message == "unknown key 'required_gatway'"
    assert d.hint == "did you mean 'required_gateway'?"
    assert d.rule == "policy-file/schema/additionalProperties"


def test_bad_value_in_policy_names_the_allowed_ones(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.yaml", "allowed_tiers:\n  - external\n  - provisoned\n")
    _, [d] = load_policy(path)
    assert (d.line, d.col) == (3, 5)
    assert "must be one of external, provisioned, pay-per-token" in d.message
    assert d.hint == "did you mean 'provisioned'?"


def test_policy_yaml_syntax_error_has_the_policy_files_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.yaml", "name: p\nallowed_tiers: [external\n")
    _, [d] = load_policy(path)
    assert d.file == str(path) and d.line == 3 and d.rule == "policy-file"
    assert d.message.startswith("YAML syntax error")


def test_missing_policy_file_is_a_finding(tmp_path: Path) -> None:
    _, [d] = load_policy(tmp_path / "nope.yaml")
    assert d.message == "cannot read policy file: No such file or directory"
    assert "--policy" in d.hint


def test_waiver_needs_a_reason(tmp_path: Path) -> None:
    text = "waivers:\n  - endpoints: [x]\n    rules: [required_tags]\n"
    _, [d] = load_policy(_write(tmp_path, "p.yaml", text))
    assert d.line == 2 and d.message == "missing required key 'reason' in $.waivers[0]"


# --- rules ---------------------------------------------------------------------------


def test_empty_policy_allows_everything(tmp_path: Path) -> None:
    assert _findings(tmp_path, "name: open\n", chat=CHAT, llama=LLAMA, units=UNITS) == []


def test_allowed_providers_points_at_the_provider_line(tmp_path: Path) -> None:
    found = _findings(tmp_path, "allowed_providers: [openai, anthropic]\n", chat=CHAT)
    [d] = found
    assert (Path(d.file).name, d.line, d.col) == ("chat.yaml", 13, 17)
    assert d.message == "policy 'policy': provider 'cohere' is not allowed"
    assert d.json_path == "$.served_entities[1].external_model.provider"
    assert d.hint == "allowed providers: openai, anthropic"


def test_allowed_models_are_globs_over_external_and_uc_names(tmp_path: Path) -> None:
    policy = "allowed_models: ['gpt-4o*', 'system.ai.meta_*']\n"
    found = _findings(tmp_path, policy, chat=CHAT, llama=LLAMA, units=UNITS)
    assert _where(found) == [
        ("chat.yaml", 14, "policy/allowed_models"),
        ("units.yaml", 6, "policy/allowed_models"),
    ]
    assert "model 'command-r' matches no allowed pattern" in found[0].message


def test_pay_per_token_reference_is_checked_by_tier_and_name(tmp_path: Path) -> None:
    ppt = "name: databricks-gte-large-en\ntier: pay-per-token\ntask: llm/v1/embeddings\n"
    policy = "allowed_tiers: [external]\nallowed_models: ['gpt-*']\nrequired_tags: [team]\n"
    found = _findings(tmp_path, policy, **{"databricks-gte-large-en": ppt})
    assert [(d.line, d.rule) for d in found] == [
        (2, "policy/allowed_tiers"),
        (1, "policy/allowed_models"),
    ]


def test_required_gateway_wants_enabled_or_non_empty_sections(tmp_path: Path) -> None:
    policy = "required_gateway: [usage_tracking_config, rate_limits]\n"
    found = _findings(tmp_path, policy, chat=CHAT, llama=LLAMA)
    assert _where(found) == [
        ("chat.yaml", 18, "policy/required_gateway"),  # no rate_limits: the ai_gateway key
        ("chat.yaml", 19, "policy/required_gateway"),  # usage tracking disabled (its value)
        ("llama.yaml", 1, "policy/required_gateway"),  # no ai_gateway at all
        ("llama.yaml", 1, "policy/required_gateway"),
    ]
    messages = {d.message for d in found}
    assert "policy 'policy': ai_gateway.rate_limits is required (a non-empty section)" in messages
    assert any("usage_tracking_config is required (an enabled section)" in m for m in messages)


def test_forbid_plaintext_overrides_allow_plaintext_and_never_shows_the_value(
    tmp_path: Path,
) -> None:
    [d] = _findings(tmp_path, "forbid_plaintext: true\n", chat=CHAT)
    assert (d.line, d.rule) == (16, "policy/forbid_plaintext")
    assert (
        d.message == "policy 'policy': plaintext credential 'cohere_api_key_plaintext' is forbidden"
    )
    assert "SENTINEL" not in repr(d)
    assert d.hint == "use 'cohere_api_key': \"{{secrets/<scope>/<key>}}\""


def test_scale_to_zero_required(tmp_path: Path) -> None:
    found = _findings(
        tmp_path, "require_scale_to_zero: true\n", llama=LLAMA, units=UNITS, chat=CHAT
    )
    assert _where(found) == [
        ("llama.yaml", 10, "policy/require_scale_to_zero"),
        ("units.yaml", 5, "policy/require_scale_to_zero"),
    ]
    units = next(d for d in found if d.file.endswith("units.yaml"))
    assert "min/max_provisioned_throughput" in units.hint


def test_throughput_and_model_unit_limits(tmp_path: Path) -> None:
    policy = "max_provisioned_throughput: 9500\nmax_model_units: 10\n"
    found = _findings(tmp_path, policy, llama=LLAMA, units=UNITS)
    assert _where(found) == [
        ("llama.yaml", 9, "policy/max_provisioned_throughput"),
        ("units.yaml", 8, "policy/max_model_units"),
    ]
    assert (
        "max_provisioned_throughput 19000 is above the limit of 9500 tokens/s" in found[0].message
    )


def test_required_tags(tmp_path: Path) -> None:
    [d] = _findings(tmp_path, "required_tags: [team]\n", chat=CHAT)
    assert (d.line, d.message) == (20, "policy 'policy': tag 'team' is required")


def test_waiver_exempts_only_its_endpoints_and_rules(tmp_path: Path) -> None:
    policy = """\
        require_scale_to_zero: true
        max_model_units: 10
        waivers:
          - endpoints: [uni*]
            rules: [require_scale_to_zero]
            reason: model units cannot scale to zero
        """
    found = _findings(tmp_path, textwrap.dedent(policy), llama=LLAMA, units=UNITS)
    assert _where(found) == [
        ("llama.yaml", 10, "policy/require_scale_to_zero"),
        ("units.yaml", 8, "policy/max_model_units"),
    ]


# --- the shipped policies on the demo endpoints -----------------------------------------


def test_demo_endpoints_pass_the_dev_policy() -> None:
    result = load_endpoints([REPO / "endpoints"])
    policy, _ = load_policy(REPO / "policies" / "dev.yaml")
    assert policy is not None and result.ok
    assert check_policy(policy, result.specs) == []


def test_demo_endpoints_break_the_prod_policy_with_file_and_line() -> None:
    result = load_endpoints([REPO / "endpoints"])
    policy, _ = load_policy(REPO / "policies" / "prod.yaml")
    assert policy is not None
    found = check_policy(policy, result.specs)
    cohere = [d for d in found if d.file.endswith("cohere-embeddings.yaml")]
    assert ("policy/allowed_providers", "provider 'cohere' is not allowed") in {
        (d.rule, d.message.split(": ", 1)[1]) for d in cohere
    }
    assert all(d.line > 1 for d in cohere if d.rule == "policy/allowed_providers")


# --- peer reports as inputs ---------------------------------------------------------------


def test_a_zero_calls_rate_limit_is_a_limit_and_an_empty_list_is_none(tmp_path: Path) -> None:
    """terraform-provider-databricks#5362: a `calls = 0` limit was dropped as if unset.
    Here 0 is kept (it is the strictest limit), while `rate_limits: []` declares none."""
    zero = CHAT.replace(
        "  usage_tracking_config: {enabled: false}\n",
        "  rate_limits: [{key: user, calls: 0, renewal_period: minute}]\n",
    )
    empty = zero.replace("name: chat", "name: empty").replace(
        "[{key: user, calls: 0, renewal_period: minute}]", "[]"
    )
    found = _findings(tmp_path, "required_gateway: [rate_limits]\n", chat=zero, empty=empty)
    assert _where(found) == [("empty.yaml", 19, "policy/required_gateway")]


def test_the_prod_policy_a_new_project_gets_is_this_repositorys() -> None:
    """One prod policy: ``init`` ships the same file as ``policies/prod.yaml``."""
    shipped = (TEMPLATE_POLICIES / "prod.yaml").read_text()
    assert shipped == (REPO / "policies" / "prod.yaml").read_text()
