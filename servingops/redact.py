"""Remove secrets from text and JSON-like payloads before anything is shown or logged.

Two entry points, used by every message that quotes a server answer or a payload:

- ``redact_text(text, secrets)`` masks the given secret strings (the token, the client
  secret, a fetched OAuth access token) plus anything that *looks* like a credential:
  ``Bearer …``/``Basic …`` values, ``"client_secret": "…"``-style pairs, Databricks
  personal access tokens (``dapi…``) and PEM private keys.
- ``redact_payload(obj)`` returns a copy in which the values of secret-named keys
  (``*_plaintext``, ``*api_key``, ``client_secret``, ``access_token``, ``private_key``,
  ``Authorization`` …) are ``"***"``, recursively.

Secret *references* (``{{secrets/scope/key}}``) are not secrets and stay visible: they
are what users are told to write. Counters such as ``max_tokens`` or a rate limit's
``tokens`` are not credentials and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "SECRET_REF",
    "is_secret_key",
    "redact_payload",
    "redact_text",
    "secret_values",
    "show_value",
]

MASK = "***"

_SECRET_NAME = (
    r"[a-z0-9_-]*_plaintext|[a-z0-9_-]*api[_-]?key|[a-z0-9_-]*api[_-]?token"
    r"|[a-z0-9_-]*client[_-]?secret|[a-z0-9_-]*secret[_-]access[_-]key"
    r"|[a-z0-9_-]*(?:access|refresh|id|bearer|auth)[_-]token|[a-z0-9_-]*private[_-]key"
    r"|[a-z0-9_-]*password|token|secret|authorization|proxy-authorization|cookie|set-cookie"
)
_SECRET_KEY = re.compile(rf"^(?:{_SECRET_NAME})$", re.IGNORECASE)
SECRET_REF = re.compile(r"^\{\{secrets/[^/{}\s]+/[^/{}\s]+\}\}$")

_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
_SCHEME = re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_PAT = re.compile(r"\bdapi[0-9a-f]{16,}(?:-\d+)?\b")
_PAIR = re.compile(
    rf"""(?P<key>["']?\b(?:{_SECRET_NAME})\b["']?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,&;}\]"']+)""",
    re.IGNORECASE,
)


def is_secret_key(key: str, parent: str | None = None) -> bool:
    """True when values under ``key`` are credentials.

    ``value`` counts only inside ``api_key_auth`` (where it is the key itself); a tag's
    ``value`` is not secret.
    """
    if key == "value" and parent == "api_key_auth":
        return True
    return bool(_SECRET_KEY.match(key))


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with the given secrets and credential-looking values replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, MASK)  # shorter strings would garble (and reveal) text
    text = _PEM.sub(MASK, text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _PAT.sub(MASK, text)
    return _PAIR.sub(_mask_pair, text)


def redact_payload(obj: Any, *, _parent: str | None = None) -> Any:
    """Return a deep copy of ``obj`` with the values of secret-named keys set to ``***``.

    Empty values (``None``, ``""``) and secret references are kept as they are, so a
    redacted payload still shows *whether* a credential is set and where it comes from.
    """
    if isinstance(obj, Mapping):
        return {str(k): _redact_item(str(k), v, _parent) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_payload(item, _parent=_parent) for item in obj]
    return obj


def secret_values(obj: Any, *, _parent: str | None = None) -> tuple[str, ...]:
    """Every non-empty string stored under a secret-named key in ``obj`` (references excluded).

    Feed the result to ``redact_text`` so a server that echoes a payload's plaintext key in
    an error message cannot leak it.
    """
    if isinstance(obj, Mapping):
        found: list[str] = []
        for key, value in obj.items():
            if is_secret_key(str(key), _parent) and isinstance(value, str):
                found += [] if _is_harmless(value) else [value]
            else:
                found += secret_values(value, _parent=str(key))
        return tuple(found)
    if isinstance(obj, list | tuple):
        return tuple(v for item in obj for v in secret_values(item, _parent=_parent))
    return ()


def _redact_item(key: str, value: Any, parent: str | None) -> Any:
    if is_secret_key(key, parent) and not _is_harmless(value):
        return MASK
    return redact_payload(value, _parent=key)


def _is_harmless(value: Any) -> bool:
    if value is None or value == "" or value == MASK:
        return True
    return isinstance(value, str) and bool(SECRET_REF.match(value))


def _mask_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    bare = value.strip("\"'")
    if _is_harmless(bare) or bare.lower() in {"null", "none"}:
        return match.group(0)
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"


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
