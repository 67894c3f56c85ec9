"""Validate 1,000 generated endpoint files; report time per file against the 2 s target."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from servingops.loader import load_endpoints

FILES = 1000
TARGET_S = 2.0
TEMPLATE = """\
# yaml-language-server: $schema=../schemas/endpoint.schema.json
name: bench-{i}
tier: external
task: llm/v1/chat
description: Generated endpoint {i}
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: "{{{{secrets/llm/openai}}}}"
  - name: claude
    external_model:
      provider: anthropic
      name: claude-sonnet-4
      anthropic_config:
        anthropic_api_key: "{{{{secrets/llm/anthropic}}}}"
traffic: {{gpt: 90, claude: 10}}
ai_gateway:
  usage_tracking_config: {{enabled: true}}
  rate_limits: [{{key: user, calls: 100, renewal_period: minute}}]
  fallback_config: {{enabled: true}}
tags: {{team: bench, index: "{i}"}}
smoke:
  prompt: "Reply with the single word OK."
  expect: {{contains: "OK", max_latency_ms: 5000}}
"""


def _write(folder: Path) -> None:
    for i in range(FILES):
        (folder / f"bench-{i}.yaml").write_text(TEMPLATE.format(i=i))


def main() -> None:
    """Generate, validate, print seconds and the ratio to the target."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder)
        load_endpoints([folder / "bench-0.yaml"])  # warm caches (schema, catalogue)
        start = time.perf_counter()
        result = load_endpoints([folder])
        elapsed = time.perf_counter() - start
    assert result.ok and len(result.specs) == FILES, result.report.errors[:3]
    print(f"validate {FILES} files: {elapsed:.3f} s total, {elapsed / FILES * 1000:.2f} ms/file")
    print(f"target {TARGET_S:.1f} s: ratio {elapsed / TARGET_S:.2f} (below 1.00 meets it)")
