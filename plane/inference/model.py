"""The offline model: a deterministic text generator with no weights and no network.

How it answers (documented so tests and smoke checks can rely on it):

1. An instruction in the prompt — a line or sentence starting with "say", "reply with",
   "respond with" or "answer with" (optionally after "please"/"just"/"now") — is obeyed
   by echoing what follows, minus filler ("the single word", quotes, a final period,
   "and nothing else"). "Reply with the single word OK." → ``OK``. A description
   rather than a literal ("respond with a haiku", "say some words") is not echoed.
2. Otherwise a sentence is built from a SHA-256 of the seed (the entity name), the
   choice index and the prompt: same input, same answer; another entity, another answer.

``apply_limits`` then honours ``stop`` sequences and ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from plane.inference.tokens import split_pieces

__all__ = ["apply_limits", "compose_reply", "find_instruction", "hashed_sentence"]

_INSTRUCTION = re.compile(
    r"(?:^|(?<=[.!?:])\s+)(?:(?:please|just|now|simply),?\s+)*"
    r"(?:say|reply\s+with|respond\s+with|answer\s+with)\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:(?:only|just|exactly)\b\s*:?\s*(?=\S))?(?:the\s+|an?\s+(?=(?:single|one)\s))?"
    r"(?:(?:single|exact|following|one)\s+)*"
    r"(?:(?:word|words|phrase|text|string|token)\b\s*:?\s*(?=\S))?",
    re.IGNORECASE,
)
_NOTHING_ELSE = re.compile(r"[,;]?\s*(?:and\s+)?(?:nothing\s+else|only)\s*[.!]?$", re.IGNORECASE)
_DESCRIPTION = re.compile(r"^(?:an?|some|your)\s", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_QUOTES = {'"': '"', "'": "'", "`": "`", "“": "”", "‘": "’"}

_OPENERS = ("Noted", "Understood", "In short", "Briefly", "As asked", "For the record")
_ADJECTIVES = ("quiet", "bright", "steady", "amber", "hollow", "swift", "patient", "distant")
_NOUNS = ("river", "signal", "lantern", "harbor", "meadow", "engine", "compass", "archive")
_VERBS = ("carries", "gathers", "follows", "answers", "measures", "shelters", "echoes", "maps")
_TAILS = (
    "before the evening tide",
    "across the northern valley",
    "without a single delay",
    "under a clear winter sky",
    "while the servers hum",
    "at the edge of the map",
)


def compose_reply(prompt: str, seed: str, index: int = 0) -> str:
    """The model's answer to ``prompt``: an obeyed instruction, else a hashed sentence."""
    instructed = find_instruction(prompt)
    if instructed is not None:
        return instructed
    return hashed_sentence(f"{seed}\x00{index}\x00{prompt}")


def find_instruction(prompt: str) -> str | None:
    """The text a "say X" / "reply with X" instruction asks for (last one wins), if any."""
    found: str | None = None
    for line in prompt.splitlines():
        match = _INSTRUCTION.search(line.strip())
        if match:
            found = _clean_instruction(match.group("rest")) or found
    return found


def _clean_instruction(rest: str) -> str:
    """Strip filler words, a trailing period and surrounding quotes from an instruction."""
    text = _SENTENCE_END.split(rest, maxsplit=1)[0].strip()
    text = _NOTHING_ELSE.sub("", text).strip()
    text = _FILLER.sub("", text, count=1).strip()
    if _DESCRIPTION.match(text):
        return ""  # "respond with a haiku" describes an answer; it is not one to echo
    text = text[:-1] if text.endswith(".") else text
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1]
    return text.strip()


def hashed_sentence(key: str) -> str:
    """A readable sentence chosen deterministically by the SHA-256 of ``key``."""
    d = hashlib.sha256(key.encode("utf-8")).digest()
    first = f"the {_pick(_ADJECTIVES, d[1])} {_pick(_NOUNS, d[2])} {_pick(_VERBS, d[3])}"
    second = f"the {_pick(_ADJECTIVES, d[4])} {_pick(_NOUNS, d[5])} {_pick(_TAILS, d[6])}"
    third = f"and the {_pick(_NOUNS, d[7])} {_pick(_VERBS, d[8])} {d[9] % 90 + 10} times"
    return f"{_pick(_OPENERS, d[0])}: {first} {second}, {third}."


def _pick(words: Sequence[str], byte: int) -> str:
    """One word of ``words`` chosen by a hash byte."""
    return words[byte % len(words)]


def apply_limits(text: str, max_tokens: int | None, stop: Sequence[str]) -> tuple[str, str]:
    """Cut ``text`` at the first stop sequence, then at ``max_tokens``; give the finish reason."""
    cuts = [i for i in (text.find(s) for s in stop) if i >= 0]
    if cuts:
        text = text[: min(cuts)]
    pieces = split_pieces(text)
    if max_tokens is not None and len(pieces) > max_tokens:
        return "".join(pieces[:max_tokens]), "length"
    return text, "stop"
