"""The supported-models catalogue (``servingcatalogue/models.yaml``) as typed data.

A leaf package: both the core (``servingops``, whose rules check endpoints against it)
and the local plane (``plane``, which answers like the real control plane) read it, and
it imports neither of them, so neither side has to import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["Catalogue", "load_catalogue"]


@dataclass(frozen=True)
class Catalogue:
    """What the control plane supports: provider × task, pay-per-token, foundation models."""

    as_of: str
    external_tasks: dict[str, list[str]]
    bedrock_tasks: dict[str, list[str]]
    known_external_models: dict[str, list[str]]
    pay_per_token: dict[str, dict[str, Any]] = field(default_factory=dict)
    foundation_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_embedding_dimension: int = 1024
    embedding_dimensions: dict[str, int] = field(default_factory=dict)

    def embedding_dimension(self, model: str) -> int:
        """Vector length for an embedding model name (catalogue default when unknown)."""
        fm = self.foundation_models.get(model) or self.pay_per_token.get(model) or {}
        dim = fm.get("dimension") or self.embedding_dimensions.get(model)
        return int(dim or self.default_embedding_dimension)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Read the packaged catalogue once per process."""
    text = resources.files(__name__).joinpath("models.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    return Catalogue(**raw)
