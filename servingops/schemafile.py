"""Where the endpoint-file JSON Schema lives, and reading it (a leaf: imports nothing of ours)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "endpoint.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The endpoint-file JSON Schema (draft 2020-12) as a mapping, read once per process."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return loaded
