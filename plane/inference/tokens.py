"""A tiny deterministic tokenizer: words and single punctuation marks are tokens.

It is not any real model's tokenizer; it only has to be stable, cheap and roughly
proportional to text length, so usage counts and ``max_tokens`` behave plausibly.
"""

from __future__ import annotations

import re

__all__ = ["count_tokens", "split_pieces"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")


def count_tokens(text: str) -> int:
    """Number of tokens in ``text`` (words plus punctuation marks)."""
    return len(_TOKEN.findall(text))


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into one piece per token, each with its leading whitespace.

    Lossless: ``"".join(split_pieces(t)) == t`` (trailing whitespace joins the last
    piece), so streamed pieces rebuild exactly the non-streamed content.
    """
    pieces = _PIECE.findall(text)
    tail = text[sum(len(p) for p in pieces) :]
    if tail and pieces:
        pieces[-1] += tail
    elif tail:
        pieces = [tail]
    return pieces
