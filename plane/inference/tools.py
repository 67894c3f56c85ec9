"""Function calling: tool definitions, ``tool_choice``, and when the offline model calls.

When the model calls a tool (deterministic, so tests can rely on it):

- ``tool_choice: "none"`` (or no tools): never.
- ``{"type": "function", "function": {"name": N}}``: always, tool N.
- ``"required"``: always; the tools named in the last user message, else the first tool.
- ``"auto"`` (the default): when the last message is from the user and names a tool
  (case-insensitive; ``_`` and ``-`` in the name may also be written as spaces) —
  every tool named, in definition order. After a ``tool`` result it answers in text.

``parallel_tool_calls: false`` keeps only the first call. Arguments are generated from
the tool's ``parameters`` JSON Schema (``instances.generate_instance``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from plane.inference.context import bad_request, invalid_value
from plane.inference.instances import UnsupportedSchema, generate_instance
from plane.inference.messages import message_text, validate_cache_control
from plane.inference.structured import check_json_schema

__all__ = ["build_tool_calls", "choose_tools", "validate_tools"]

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHOICES = ("auto", "required", "none")


def validate_tools(body: dict[str, Any]) -> None:
    """Check ``tools`` and ``tool_choice``; a named choice must name a defined tool."""
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid_value("`tools` must be a list of {type: function, function: {...}}")
        for i, tool in enumerate(tools):
            _validate_tool(f"tools[{i}]", tool)
    choice = body.get("tool_choice")
    if choice is not None:
        if not tools:
            raise bad_request("`tool_choice` is only allowed when `tools` are given")
        _validate_choice(choice, {t["function"]["name"] for t in tools})
    if body.get("parallel_tool_calls") not in (None, True, False):
        raise invalid_value("`parallel_tool_calls` must be true or false")


def _validate_tool(path: str, tool: Any) -> None:
    """One tool definition: a function with a valid name and object parameters."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise invalid_value(f'`{path}.type` must be "function"')
    validate_cache_control(path, tool)
    fn = tool.get("function")
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise invalid_value(
            f"`{path}.function.name` must match [A-Za-z0-9_-]{{1,64}}; got {name!r}"
        )
    params = fn.get("parameters") if isinstance(fn, dict) else None
    if params is not None and not isinstance(params, dict):
        raise invalid_value(f"`{path}.function.parameters` must be a JSON Schema object")
    if params is not None:
        check_json_schema(f"{path}.function.parameters", params)


def _validate_choice(choice: Any, names: set[str]) -> None:
    """``auto``/``required``/``none`` or ``{"type": "function", "function": {"name"}}``."""
    if isinstance(choice, str):
        if choice not in _CHOICES:
            raise invalid_value(
                f"`tool_choice` must be one of {', '.join(_CHOICES)}; got {choice!r}"
            )
        return
    fn = choice.get("function") if isinstance(choice, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or name is None:
        raise invalid_value(
            '`tool_choice` object must be {"type": "function", "function": {"name"}}'
        )
    if name not in names:
        raise invalid_value(f"`tool_choice.function.name` {name!r} is not one of the `tools`")


def choose_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool definitions the model calls for this request (see the module docstring)."""
    tools: list[dict[str, Any]] = body.get("tools") or []
    choice = body.get("tool_choice") or "auto"
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):
        return [t for t in tools if t["function"]["name"] == choice["function"]["name"]][:1]
    last = body["messages"][-1]
    named = _named_tools(tools, message_text(last)) if last.get("role") == "user" else []
    if choice == "required" and not named:
        named = tools[:1]
    return named[:1] if body.get("parallel_tool_calls") is False else named


def _named_tools(tools: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The tools whose name (or the name with ``_``/``-`` as spaces) appears in ``text``."""
    lowered = text.lower()
    return [t for t in tools if _mentions(lowered, t["function"]["name"].lower())]


def _mentions(text: str, name: str) -> bool:
    """True when ``name`` or its spaced form occurs in ``text`` as whole words."""
    spaced = re.sub(r"[_-]+", " ", name).strip()
    forms = {name, spaced} - {""}
    return any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text) for f in forms)


def build_tool_calls(tools: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """One ``tool_calls`` entry per tool, arguments generated from its parameters schema."""
    return [_tool_call(tool, f"{seed}\x00{i}") for i, tool in enumerate(tools)]


def _tool_call(tool: dict[str, Any], seed: str) -> dict[str, Any]:
    """A tool call with a stable id and JSON-string arguments."""
    fn = tool["function"]
    schema = fn.get("parameters") or {"type": "object", "properties": {}}
    try:
        arguments = generate_instance(schema, f"{seed}\x00{fn['name']}")
    except UnsupportedSchema as err:
        raise invalid_value(f"tool {fn['name']!r} parameters: {err}") from None
    digest = hashlib.sha256(f"{seed}\x00{fn['name']}".encode()).hexdigest()
    return {
        "id": f"call_{digest[:24]}",
        "type": "function",
        "function": {"name": fn["name"], "arguments": json.dumps(arguments)},
    }
