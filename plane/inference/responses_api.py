"""The OpenAI Responses API (``POST /serving-endpoints/responses``) on chat endpoints.

A Responses request is turned into a chat request (``to_chat_request``), answered by the
chat engine (offline or forwarded), and the ``chat.completion`` turned back into a
``response`` object (``to_response``), or into its SSE events when ``stream`` is true
(``plane.inference.responses_stream.response_events``). Shapes follow openai-python
``types.responses``:

    request   {model, input: str | [items], instructions?, max_output_tokens?,
               temperature?, top_p?, tools?: [{type: function, name, parameters}],
               tool_choice?, text?: {format: text|json_object|json_schema}, stream?,
               metadata?}
    items     {role: user|assistant|system|developer (→ system), content: str |
               [{type: input_text|output_text, text}]} (message),
              {type: function_call, call_id, name, arguments},
              {type: function_call_output, call_id, output}
    response  {id: resp_..., object: response, created_at, status: completed|incomplete,
               model, output: [message | function_call], usage: {input_tokens,
               output_tokens, total_tokens, *_details}, tools, tool_choice, ...}

Only ``function`` tools exist here; other tool types, ``previous_response_id`` and
``conversation`` (server-side state) are a 400 naming the field.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from plane.inference.context import bad_request, invalid_value

__all__ = ["to_chat_request", "to_response"]

_STATEFUL = ("previous_response_id", "conversation", "background")
_ROLES = ("user", "assistant", "system", "developer")
"""Message item roles (openai-python ``EasyInputMessageParam.role``)."""
_PASSED = {"temperature": "temperature", "top_p": "top_p", "max_output_tokens": "max_tokens"}


def to_chat_request(body: dict[str, Any]) -> dict[str, Any]:
    """The chat-completions body answering a Responses ``body`` (never streamed)."""
    for key in _STATEFUL:
        if body.get(key):
            raise bad_request(f"`{key}` needs server-side state, which this endpoint lacks.")
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise invalid_value("`instructions` must be a string")
        messages.append({"role": "system", "content": instructions})
    messages += _messages(body.get("input"))
    _check_max_output_tokens(body.get("max_output_tokens"))
    chat: dict[str, Any] = {"messages": messages}
    for ours, theirs in _PASSED.items():
        if body.get(ours) is not None:
            chat[theirs] = body[ours]
    return chat | _tools(body) | _response_format(body)


def _check_max_output_tokens(value: Any) -> None:
    """``max_output_tokens`` is absent or a positive integer (checked here, in the
    Responses API's own name, before it becomes the chat request's ``max_tokens``)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_value(f"`max_output_tokens` must be a positive integer; got {value!r}")


def _tools(body: dict[str, Any]) -> dict[str, Any]:
    """The chat request's ``tools`` and ``tool_choice`` ({} when there are no tools)."""
    raw = body.get("tools")
    if raw is not None and not isinstance(raw, list):
        raise invalid_value(f"`tools` must be a list of function tools; got {type(raw).__name__}")
    tools = [_tool(t, i) for i, t in enumerate(raw or [])]
    if not tools:
        return {}
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    return {"tools": tools} if choice is None else {"tools": tools, "tool_choice": choice}


def _text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """``text.format`` of a Responses request (None when absent); 400 unless an object."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else text
    if fmt is not None and not isinstance(fmt, dict):
        raise invalid_value("`text.format` must be an object: {type: text|json_object|json_schema}")
    return fmt


def _response_format(body: dict[str, Any]) -> dict[str, Any]:
    """``text.format`` as the chat request's ``response_format`` ({} when absent).

    ``{type: json_schema, name, schema, strict?, description?}`` (flat, openai-python
    ``ResponseFormatTextJSONSchemaConfigParam``) becomes ``{type: json_schema,
    json_schema: {name, schema, ...}}``; ``text`` and ``json_object`` keep their type.
    """
    fmt = _text_format(body)
    if fmt is None:
        return {}
    kind = fmt.get("type")
    if kind == "json_schema":
        if not isinstance(fmt.get("name"), str) or not isinstance(fmt.get("schema"), dict):
            raise invalid_value("`text.format` json_schema needs `name` (a string) and `schema`")
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"response_format": {"type": kind, "json_schema": schema}}
    if kind in ("text", "json_object"):
        return {"response_format": {"type": kind}}
    raise invalid_value(
        f"`text.format.type` must be one of text, json_object, json_schema; got {kind!r}"
    )


def _messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise bad_request("`input` is required: a string or a non-empty list of input items.")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid_value(f"`input[{i}]` must be an object")
        kind = item.get("type", "message")
        if kind == "message":
            out.append(
                {"role": _role(item.get("role"), i), "content": _text(item.get("content"), i)}
            )
        elif kind == "function_call":
            call = {"name": item.get("name"), "arguments": item.get("arguments") or "{}"}
            tool_call = {"id": item.get("call_id"), "type": "function", "function": call}
            out.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else _text(output, i)
            out.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": text})
        else:
            raise invalid_value(f"`input[{i}].type` {kind!r} is not supported here")
    return out


def _role(role: Any, index: int) -> str:
    """The chat role of a message item: ``developer`` instructions become ``system``."""
    if role not in _ROLES:
        raise invalid_value(
            f"`input[{index}].role` must be one of {', '.join(_ROLES)}; got {role!r}"
        )
    return "system" if role == "developer" else str(role)


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        if all(isinstance(p, str) for p in parts) and parts:
            return "".join(str(p) for p in parts)
    raise invalid_value(f"`input[{index}].content` must be a string or a list of text parts")


def _tool(tool: Any, index: int) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, dict) else tool
        raise invalid_value(f"`tools[{index}].type` {kind!r}: only function tools are supported")
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
    return {"type": "function", "function": function}


def to_response(chat: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The ``response`` object for a ``chat.completion`` answer to ``body``."""
    choice = (chat.get("choices") or [{}])[0]
    truncated = choice.get("finish_reason") == "length"
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(chat.get("created") or time.time()),
        "status": "incomplete" if truncated else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "error": None,
        "model": chat.get("model"),
        "output": _output(choice.get("message") or {}),
        "instructions": body.get("instructions"),
        "metadata": body.get("metadata") or {},
        "parallel_tool_calls": True,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": list(body.get("tools") or []),
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "max_output_tokens": body.get("max_output_tokens"),
        "text": {"format": _text_format(body) or {"type": "text"}},
        "usage": _usage(chat.get("usage") or {}),
    }


def _output(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The output items of a chat ``message``: its function calls, else one text message."""
    calls = [
        {
            "type": "function_call",
            "id": f"fc_{uuid.uuid4().hex}",
            "call_id": call.get("id"),
            "name": call["function"]["name"],
            "arguments": call["function"]["arguments"],
            "status": "completed",
        }
        for call in message.get("tool_calls") or []
    ]
    if calls:
        return calls
    text: dict[str, Any] = {
        "type": "output_text",
        "text": message.get("content") or "",
        "annotations": [],
    }
    return [
        {
            "type": "message",
            "id": f"msg_{uuid.uuid4().hex}",
            "status": "completed",
            "role": "assistant",
            "content": [text],
        }
    ]


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    """Chat ``usage`` (prompt/completion tokens) in the Responses API's terms."""
    prompt, completion = (
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
    )
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }
