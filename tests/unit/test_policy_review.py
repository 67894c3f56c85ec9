"""Review findings on the policy file's own problems: every one names the policy file and
line with a hint about *policies* (not the endpoint-file hint of the shared YAML reader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servingops.policy import load_policy


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
