"""Deterministic embedding vectors: unit length, seeded by model name and input text."""

from __future__ import annotations

import hashlib
import math
import random

__all__ = ["embed"]


def embed(text: str, model: str, dimension: int) -> list[float]:
    """A unit-length vector of ``dimension`` floats; same (text, model) → same vector."""
    seed = int.from_bytes(hashlib.sha256(f"{model}\x00{text}".encode()).digest(), "big")
    rng = random.Random(seed)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 8) for v in raw]
