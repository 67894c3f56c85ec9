"""Where the JSON Schemas live, and reading them (a leaf: imports nothing of ours).

They are package data of the ``schemas`` package (``schemas/*.json`` in a checkout), so
an installed wheel finds them as well as a checkout does.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

ENDPOINT_SCHEMA = "endpoint.schema.json"
POLICY_SCHEMA = "policy.schema.json"
SCHEMA_PATH = Path(str(resources.files("schemas").joinpath(ENDPOINT_SCHEMA)))


def schema_text(name: str) -> str:
    """The text of the shipped schema file ``name`` (e.g. ``endpoint.schema.json``)."""
    return resources.files("schemas").joinpath(name).read_text("utf-8")


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The endpoint-file JSON Schema (draft 2020-12) as a mapping, read once per process."""
    loaded: dict[str, Any] = json.loads(schema_text(ENDPOINT_SCHEMA))
    return loaded


@lru_cache(maxsize=1)
def load_policy_schema() -> dict[str, Any]:
    """The stack-policy JSON Schema (draft 2020-12) as a mapping, read once per process."""
    loaded: dict[str, Any] = json.loads(schema_text(POLICY_SCHEMA))
    return loaded
