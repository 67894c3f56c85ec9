"""Review findings on the policy file's own problems: every one names the policy file and
line with a hint about *policies* (not the endpoint-file hint of the shared YAML reader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servingops.diagnostics import Diagnostic
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.overlay import apply_overlay, load_overlay
from servingops.policy import apply_policy, load_policy


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "- allowed_tiers\n- external\n", "prod\n"],
    ids=["empty", "comment-only", "list", "scalar"],
)
def test_a_policy_that_is_not_a_mapping_gets_a_policy_hint(tmp_path: Path, text: str) -> None:
    file = tmp_path / "prod.yaml"
    file.write_text(text)
    policy, [d] = load_policy(file)
    assert policy is None
    assert (d.file, d.line, d.col) == (str(file), 1, 1)
    assert d.rule.startswith("policy-file")
    assert "endpoint" not in d.hint
    assert "policy" in d.hint and "schemas/policy.schema.json" in d.hint


# --- a stack overlay (servingops:overlay) changes what the policy sees ------------------

LLAMA = """\
name: llama
tier: provisioned
task: llm/v1/chat
served_entities:
  - name: l
    entity_name: system.ai.meta_llama_v3_3_70b_instruct
    entity_version: "2"
    min_provisioned_throughput: 0
    max_provisioned_throughput: 19000
    scale_to_zero_enabled: true
ai_gateway:
  usage_tracking_config: {enabled: true}
  rate_limits:
    - {key: user, calls: 120, renewal_period: minute}
tags: {team: platform}
"""

OVERLAY = """\
llama:
  tags: {env: prod}
  ai_gateway:
    rate_limits: []
  served_entities:
    - name: l
      entity_name: system.ai.meta_llama_v3_3_70b_instruct
      entity_version: "2"
      min_provisioned_throughput: 0
      max_provisioned_throughput: 95000
      scale_to_zero_enabled: true
"""

POLICY = """\
max_provisioned_throughput: 19000
required_gateway: [usage_tracking_config, rate_limits]
required_tags: [team, cost-center]
"""


def _overlaid_findings(tmp_path: Path) -> list[Diagnostic]:
    (tmp_path / "llama.yaml").write_text(LLAMA)
    (tmp_path / "prod-overlay.yaml").write_text(OVERLAY)
    (tmp_path / "prod.yaml").write_text(POLICY)
    result = load_endpoints([tmp_path / "llama.yaml"])
    assert result.ok, result.report.diagnostics
    [spec] = result.specs
    override = load_overlay(str(tmp_path / "prod-overlay.yaml"))["llama"]
    overlaid = EndpointSpec.from_mapping(apply_overlay(dict(spec.raw), override), spec.source)
    return apply_policy(
        tmp_path / "prod.yaml", [overlaid], overlay_file=tmp_path / "prod-overlay.yaml"
    )


def test_a_violation_the_overlay_makes_is_placed_in_the_overlay(tmp_path: Path) -> None:
    """The file says 19000 and has rate limits; the overlay raises the band to 95000 and
    clears the limits: those findings point at the overlay's lines, not the file's."""
    found = {d.rule: d for d in _overlaid_findings(tmp_path)}
    overlay = str(tmp_path / "prod-overlay.yaml")
    band = found["policy/max_provisioned_throughput"]
    assert (band.file, band.line, band.col) == (overlay, 10, 35)
    limits = found["policy/required_gateway"]
    assert (limits.file, limits.line) == (overlay, 4)


def test_a_violation_the_file_makes_stays_in_the_file(tmp_path: Path) -> None:
    """The overlay merges ``tags: {env: prod}`` into the file's tags: the missing
    ``cost-center`` is the file's, at its ``tags`` line."""
    [tags] = [d for d in _overlaid_findings(tmp_path) if d.rule == "policy/required_tags"]
    assert (tags.file, tags.line) == (str(tmp_path / "llama.yaml"), 15)
    assert "cost-center" in tags.message


# --- required_gateway: guardrails that guard nothing ----------------------------------

CHAT = """\
name: chat
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o
      openai_config: {{openai_api_key: "{{{{secrets/llm/openai}}}}"}}
ai_gateway:
  guardrails: {guardrails}
"""


@pytest.mark.parametrize(
    ("guardrails", "on"),
    [
        ("{input: {safety: false}, output: {safety: false}}", False),
        ("{input: {pii: {behavior: NONE}}}", False),
        ("{input: {invalid_keywords: []}, output: {}}", False),
        ("{output: {pii: {behavior: MASK}}}", True),
        ("{input: {safety: true}}", True),
        ("{input: {invalid_keywords: [password]}}", True),
    ],
)
def test_required_guardrails_need_one_setting_that_is_on(
    tmp_path: Path, guardrails: str, on: bool
) -> None:
    """``safety: false`` or ``pii: NONE`` everywhere turns nothing on: a policy requiring
    guardrails is not met by them (schema: "guardrails with at least one setting")."""
    (tmp_path / "chat.yaml").write_text(CHAT.format(guardrails=guardrails))
    (tmp_path / "p.yaml").write_text("required_gateway: [guardrails]\n")
    result = load_endpoints([tmp_path / "chat.yaml"])
    assert result.ok, result.report.diagnostics
    found = apply_policy(tmp_path / "p.yaml", result.specs)
    assert [d.rule for d in found] == ([] if on else ["policy/required_gateway"])
    if not on:
        assert (found[0].line, found[0].json_path) == (11, "$.ai_gateway.guardrails")


def test_a_waiver_reason_of_blanks_is_no_reason(tmp_path: Path) -> None:
    """The schema wants a reason "so the file says why"; ``reason: "  "`` says nothing."""
    file = tmp_path / "p.yaml"
    file.write_text(
        "waivers:\n"
        "  - {endpoints: [a], rules: [allowed_models], reason: ok}\n"
        '  - {endpoints: [b], rules: [allowed_models], reason: "   "}\n'
    )
    policy, [d] = load_policy(file)
    assert policy is None
    assert (d.file, d.line, d.col) == (str(file), 3, 55)
    assert d.json_path == "$.waivers[1].reason"
    assert d.rule.startswith("policy-file") and "why" in d.hint
