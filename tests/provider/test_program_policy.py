"""The Pulumi program's policy hook (``servingops:policy``): no policy, a met one, a broken
one (every violation at the endpoint file's line) and an unusable policy file."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from providers.program import _overlaid, enforce_policy
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec

REPO = Path(__file__).resolve().parents[2]


def _specs() -> list[EndpointSpec]:
    result = load_endpoints([REPO / "endpoints"])
    assert result.ok
    return result.specs


def test_no_policy_configured_checks_nothing() -> None:
    specs = _specs()
    assert enforce_policy(None, specs) is specs
    assert enforce_policy("", specs) is specs


def test_met_policy_passes_the_specs_on() -> None:
    specs = _specs()
    assert enforce_policy(str(REPO / "policies" / "dev.yaml"), specs) is specs


def test_violated_policy_stops_the_program_with_file_and_line() -> None:
    policy = str(REPO / "policies" / "prod.yaml")
    with pytest.raises(pulumi.RunError) as caught:
        enforce_policy(policy, _specs())
    text = str(caught.value)
    assert text.startswith(f"policy {policy} is not met:\n")
    assert f"{REPO}/endpoints/cohere-embeddings.yaml:9:17: error: policy 'prod'" in text


def test_unusable_policy_file_stops_the_program_at_its_line(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("forbid_plaintext: yes please\n")
    with pytest.raises(pulumi.RunError) as caught:
        enforce_policy(str(policy), _specs())
    assert f"{policy}:1:19: error: 'forbid_plaintext' must be true or false" in str(caught.value)


def test_a_violation_the_stack_overlay_makes_names_the_overlay(tmp_path: Path) -> None:
    """``servingops:overlay`` raises llama-chat's band above the policy's limit: the
    program's message points at the overlay's line, not at the file's (unchanged) one."""
    overlay = tmp_path / "prod-overlay.yaml"
    overlay.write_text(
        "llama-chat:\n"
        "  served_entities:\n"
        "    - name: llama-3-3-70b\n"
        "      entity_name: system.ai.meta_llama_v3_3_70b_instruct\n"
        '      entity_version: "2"\n'
        "      min_provisioned_throughput: 0\n"
        "      max_provisioned_throughput: 95000\n"
        "      scale_to_zero_enabled: true\n"
    )
    policy = tmp_path / "p.yaml"
    policy.write_text("max_provisioned_throughput: 19000\n")
    specs = [_overlaid(spec, str(overlay), False) for spec in _specs()]
    with pytest.raises(pulumi.RunError) as caught:
        enforce_policy(str(policy), specs, str(overlay))
    assert f"{overlay}:7:35: error: policy 'p': max_provisioned_throughput 95000" in str(
        caught.value
    )
