"""The Pulumi program's policy hook (``servingops:policy``): no policy, a met one, a broken
one (every violation at the endpoint file's line) and an unusable policy file."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from providers.program import enforce_policy
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
