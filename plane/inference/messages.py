"""Chat ``messages`` and their content blocks: validation and the text a model reads.

A message's ``content`` is a string or a list of blocks:

- ``{"type": "text", "text": str}``
- ``{"type": "image_url", "image_url": {"url": "data:image/<kind>;base64,<data>"}}``
  (plain http(s) URLs are refused, as the real service does)
- ``{"type": "reasoning", "summary": [{"type": "summary_text", "text": str} |
  {"type": "summary_encrypted_text", "data": str}]}`` or ``{"type": "reasoning",
  "encrypted_content": str}``

Any block may carry ``cache_control: {"type": "ephemeral"}`` (prompt caching). Assistant
messages may carry ``tool_calls`` (then ``content`` may be null); ``tool`` messages need
a ``tool_call_id``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from plane.inference.context import bad_request, invalid_value

__all__ = ["ROLES", "message_text", "tool_name_for", "validate_messages"]

ROLES = ("system", "user", "assistant", "tool")
_BLOCK_TYPES = ("text", "image_url", "reasoning")
_DATA_URL = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,(?P<data>.*)$", re.DOTALL)


def validate_messages(messages: Any) -> None:
    """Raise a 400 naming the first bad field of a chat ``messages`` list."""
    if not isinstance(messages, list) or not messages:
        raise bad_request("`messages` must be a non-empty list of {role, content} objects")
    for i, message in enumerate(messages):
        _validate_message(f"messages[{i}]", message)


def _validate_message(path: str, message: Any) -> None:
    """Check one message: its role, then the content rules of that role."""
    if not isinstance(message, dict):
        raise bad_request(f"`{path}` must be an object with `role` and `content`")
    role = message.get("role")
    if role not in ROLES:
        raise invalid_value(f"`{path}.role` must be one of {', '.join(ROLES)}; got {role!r}")
    if role == "assistant" and message.get("tool_calls") is not None:
        _validate_tool_calls(f"{path}.tool_calls", message["tool_calls"])
        if message.get("content") is None:
            return
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise bad_request(f"`{path}.tool_call_id` is required on a tool message (a string)")
    if "content" not in message or message["content"] is None:
        raise bad_request(f"`{path}.content` is required (a string or a list of blocks)")
    _validate_content(f"{path}.content", message["content"])


def _validate_tool_calls(path: str, calls: Any) -> None:
    """Check an assistant message's ``tool_calls`` (as the model returned them)."""
    if not isinstance(calls, list):
        raise bad_request(f"`{path}` must be a list of tool calls")
    for j, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise bad_request(f"`{path}[{j}].function.name` is required (a string)")
        if not isinstance(fn.get("arguments", ""), str):
            raise invalid_value(f"`{path}[{j}].function.arguments` must be a JSON string")
        if not isinstance(call.get("id"), str):
            raise bad_request(f"`{path}[{j}].id` is required (a string)")


def _validate_content(path: str, content: Any) -> None:
    """A string, or a list of known blocks."""
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_value(f"`{path}` must be a string or a list of content blocks")
    for k, block in enumerate(content):
        _validate_block(f"{path}[{k}]", block)


def _validate_block(path: str, block: Any) -> None:
    """One content block: a known ``type`` with its fields, and a valid ``cache_control``."""
    if not isinstance(block, dict):
        raise invalid_value(f"`{path}` must be an object with a `type`")
    kind = block.get("type")
    if kind not in _BLOCK_TYPES:
        allowed = ", ".join(_BLOCK_TYPES)
        raise invalid_value(f"`{path}.type` {kind!r} is not a supported content block: {allowed}")
    validate_cache_control(path, block)
    _BLOCK_CHECKS[kind](path, block)


def validate_cache_control(path: str, item: dict[str, Any]) -> None:
    """``cache_control``, when present, must be ``{"type": "ephemeral"}`` (plus an optional ttl)."""
    mark = item.get("cache_control")
    if mark is not None and (not isinstance(mark, dict) or mark.get("type") != "ephemeral"):
        raise invalid_value(f'`{path}.cache_control` must be {{"type": "ephemeral"}}; got {mark!r}')


def _check_text(path: str, block: dict[str, Any]) -> None:
    """A text block needs a string ``text``."""
    if not isinstance(block.get("text"), str):
        raise invalid_value(f"`{path}.text` is required on a text block (a string)")


def _check_image(path: str, block: dict[str, Any]) -> None:
    """An image block needs a base64 ``data:image/...`` URL; http(s) URLs are refused."""
    image = block.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise invalid_value(f"`{path}.image_url.url` is required (a base64 data URL)")
    match = _DATA_URL.match(url)
    if match is None:
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise invalid_value(
            f"`{path}.image_url.url` {shown!r} is not supported: only base64 data URLs are "
            "supported (data:image/<type>;base64,...); plain http(s) image URLs are not"
        )
    try:
        base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_value(f"`{path}.image_url.url` holds invalid base64 data") from None


def _check_reasoning(path: str, block: dict[str, Any]) -> None:
    """A reasoning block carries a summary list or encrypted content."""
    if isinstance(block.get("encrypted_content"), str) and "summary" not in block:
        return
    summary = block.get("summary")
    if not isinstance(summary, list):
        raise invalid_value(f"`{path}.summary` must be a list (or send `encrypted_content`)")
    for k, part in enumerate(summary):
        kind = part.get("type") if isinstance(part, dict) else None
        field = {"summary_text": "text", "summary_encrypted_text": "data"}.get(str(kind))
        if field is None or not isinstance(part.get(field), str):
            raise invalid_value(
                f"`{path}.summary[{k}]` must be {{type: summary_text, text}} or "
                f"{{type: summary_encrypted_text, data}}; got type {kind!r}"
            )


_BLOCK_CHECKS = {"text": _check_text, "image_url": _check_image, "reasoning": _check_reasoning}


def message_text(message: dict[str, Any]) -> str:
    """The plain text of a message: the string, or its text blocks joined by newlines."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return "\n".join(texts)


def tool_name_for(messages: list[dict[str, Any]], call_id: str) -> str | None:
    """The function name of the earlier assistant tool call with id ``call_id``."""
    for message in reversed(messages):
        for call in message.get("tool_calls") or []:
            if call.get("id") == call_id:
                return str(call["function"]["name"])
    return None
