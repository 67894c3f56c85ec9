"""Remove secrets from text and JSON-like payloads before anything is shown or logged.

Two entry points, used by every message that quotes a server answer or a payload:

- ``redact_text(text, secrets)`` masks the given secret strings (the token, the client
  secret, a fetched OAuth access token) plus anything that *looks* like a credential:
  ``Bearer …``/``Basic …`` values, ``"client_secret": "…"``-style pairs, Databricks
  personal access tokens (``dapi…``) and PEM private keys.
- ``redact_payload(obj)`` returns a copy in which the values of secret-named keys
  (``*_plaintext``, ``*api_key``, ``client_secret``, ``access_token``, ``private_key``,
  ``Authorization`` …; the field registry says which) are ``MASK``, recursively.

Secret *references* (``{{secrets/scope/key}}``) are not secrets and stay visible: they
are what users are told to write. Counters such as ``max_tokens`` or a rate limit's
``tokens`` are not credentials and are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from servingops.model.fields import (
    CREDENTIAL_NAME,
    MASK,
    FieldRegistry,
    is_secret_reference,
    registry,
)

__all__ = [
    "MASK",
    "is_secret_key",
    "redact_payload",
    "redact_text",
    "secret_values",
    "show_key",
    "show_value",
]

_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
_SCHEME = re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_PAT = re.compile(r"\bdapi[0-9a-f]{16,}(?:-\d+)?\b")
_PAIR = re.compile(
    rf"""(?P<key>["']?\b(?:{CREDENTIAL_NAME})\b["']?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,&;}\]"']+)""",
    re.IGNORECASE,
)


def is_secret_key(
    key: str, parent: str | None = None, *, fields: FieldRegistry | None = None
) -> bool:
    """True when values under ``key`` (inside ``parent``) are credentials: the registry's
    schema fields (a tag's ``value`` is not secret, ``api_key_auth.value`` is) and the
    transport's names (``Authorization``, ``client_secret`` …)."""
    return (fields or registry()).is_credential_key(key, parent)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with the given secrets and credential-looking values replaced by ``MASK``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = _mask_secret(text, secret)
    text = _PEM.sub(MASK, text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _PAT.sub(MASK, text)
    return _PAIR.sub(_mask_pair, text)


def _mask_secret(text: str, secret: str) -> str:
    """Mask ``secret`` in ``text`` as written and as a JSON string body would escape it.

    Secrets of 6 characters or more are masked wherever they occur; shorter ones only
    as a whole token (not inside a word), since masking every substring would garble
    the text and the gaps would spell the secret out.
    """
    for form in _written_forms(secret):
        if len(secret) >= 6:
            text = text.replace(form, MASK)
        else:
            text = re.sub(rf"(?<![\w-]){re.escape(form)}(?![\w-])", MASK, text)
    return text


def _written_forms(secret: str) -> list[str]:
    """``secret`` raw, JSON-escaped (``\\"`` ``\\\\``) and ASCII-escaped (``\\u00e9``)."""
    forms = [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]]
    return sorted(set(forms), key=len, reverse=True)


def redact_payload(
    obj: Any, *, fields: FieldRegistry | None = None, _parent: str | None = None
) -> Any:
    """Return a deep copy of ``obj`` with the values of credential keys set to ``MASK``.

    Empty values (``None``, ``""``) and secret references are kept as they are, so a
    redacted payload still shows *whether* a credential is set and where it comes from.
    """
    if isinstance(obj, Mapping):
        return {str(k): _redact_item(str(k), v, _parent, fields) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_payload(item, fields=fields, _parent=_parent) for item in obj]
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


def _redact_item(key: str, value: Any, parent: str | None, fields: FieldRegistry | None) -> Any:
    if is_secret_key(key, parent, fields=fields) and not _is_harmless(value):
        return MASK
    return redact_payload(value, fields=fields, _parent=key)


def _is_harmless(value: Any) -> bool:
    if value is None or value == "" or value == MASK:
        return True
    return is_secret_reference(value)


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
    if secret and not is_secret_reference(value):
        return MASK if isinstance(value, str) else _kind(value)
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


def show_key(key: str, *, limit: int = 60) -> str:
    """A mapping key for messages, cut to ``limit`` characters (escaping is the formatter's)."""
    return key if len(key) <= limit else key[: limit - 1] + "…"


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
