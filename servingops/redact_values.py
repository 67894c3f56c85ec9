"""Decide which endpoint-file values are secrets, and show values without leaking them."""

from __future__ import annotations

import re
from typing import Any

_SECRET_KEY = re.compile(
    r"(_plaintext$|api_key|secret|^token$|_token$|private_key|password|access_key|^value$)",
    re.IGNORECASE,
)
SECRET_REF = re.compile(r"^\{\{secrets/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+\}\}$")


def is_secret_key(key: str) -> bool:
    """True for keys whose values are credentials (``openai_api_key_plaintext``, ``token`` …)."""
    return bool(_SECRET_KEY.search(key))


def show_value(value: Any, *, secret: bool = False, limit: int = 60) -> str:
    """A short, quoted rendering of ``value`` for messages; secrets are never shown.

    A secret *reference* (``{{secrets/scope/key}}``) is not secret and is shown.
    """
    if secret and not (isinstance(value, str) and SECRET_REF.match(value)):
        return "<hidden>" if isinstance(value, str) else _kind(value)
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"
