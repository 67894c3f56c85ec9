"""Property-based fuzz of the loader: whatever the bytes, a report and never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servingops.diagnostics import FORMATTERS
from servingops.loader import load_endpoints

SEED = """\
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
traffic: {gpt: 100}
ai_gateway:
  rate_limits: [{key: user, calls: 10, renewal_period: minute}]
tags: {team: a}
smoke: {prompt: hi, expect: {contains: OK}}
"""

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.yaml"
        path.write_bytes(content)
        result = load_endpoints([path])
    for d in result.report.diagnostics:
        assert d.line >= 1 and d.col >= 1 and d.message
    for fmt in FORMATTERS.values():
        assert fmt(result.report)
    if result.ok:
        assert len(result.specs) == 1


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(content: bytes) -> None:
    _check(content)


@FUZZ
@given(st.data())
def test_mutated_valid_file(data: st.DataObject) -> None:
    text = SEED
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        ins = data.draw(st.text(alphabet=" :-{}[]#&*!|>'\"\t\n0aZ", max_size=6))
        text = text[:at] + ins + text[at + cut :]
    _check(text.encode())


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
json_tree: st.SearchStrategy[Any] = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(json_tree)
def test_arbitrary_structures(tree: Any) -> None:
    _check(yaml.safe_dump(tree).encode())


@FUZZ
@given(st.dictionaries(st.sampled_from(list(yaml.safe_load(SEED))), json_tree, max_size=6))
def test_known_keys_with_wrong_values(override: dict[str, Any]) -> None:
    doc = yaml.safe_load(SEED) | override
    _check(yaml.safe_dump(doc).encode())
