"""Validation of a query body against its endpoint's task (control-plane-api.md §9).

Shape problems (a missing field, a field belonging to another task) are 400
``BAD_REQUEST``; values out of range or of the wrong type are 400
``INVALID_PARAMETER_VALUE``. Every message names the field. A ``null`` value counts as
absent, and fields this module does not know (``user``, ``seed``, ...) are ignored, as
the OpenAI client sends some of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plane.inference.context import bad_request, invalid_value
from plane.inference.messages import validate_messages
from plane.inference.structured import validate_response_format
from plane.inference.tools import validate_tools

__all__ = ["CHAT", "COMPLETIONS", "EMBEDDINGS", "TASK_FIELD", "validate_request"]

CHAT, COMPLETIONS, EMBEDDINGS = "llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"
TASK_FIELD = {CHAT: "messages", COMPLETIONS: "prompt", EMBEDDINGS: "input"}
_TASK_HINT = {
    CHAT: "`messages` (a list of {role, content})",
    COMPLETIONS: "`prompt` (a string or a list of strings)",
    EMBEDDINGS: "`input` (a string or a list of strings)",
}
_CHAT_ONLY = ("tools", "tool_choice", "response_format", "parallel_tool_calls")


def validate_request(task: str, body: Any) -> None:
    """Raise ``QueryError`` (400) when ``body`` is not a valid query for ``task``."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    if task not in TASK_FIELD:
        raise bad_request(f"this endpoint's task {task!r} cannot be queried here")
    _check_task_shape(task, body)
    _check_common(body)
    _TASK_CHECKS[task](body)


def _check_task_shape(task: str, body: dict[str, Any]) -> None:
    """The task's own input field is present and no other task's input field is."""
    for other, field in TASK_FIELD.items():
        if other != task and body.get(field) is not None:
            raise bad_request(
                f"`{field}` is the input of {other} endpoints; this {task} endpoint "
                f"expects {_TASK_HINT[task]}"
            )
    if body.get(TASK_FIELD[task]) is None:
        raise bad_request(
            f"missing required field: this {task} endpoint expects {_TASK_HINT[task]}"
        )
    if task != CHAT:
        for field in _CHAT_ONLY:
            if body.get(field) is not None:
                raise bad_request(f"`{field}` is only supported on llm/v1/chat endpoints")


def _check_common(body: dict[str, Any]) -> None:
    """The optional fields any task accepts, each checked when present and not null."""
    for field, check in _COMMON.items():
        if body.get(field) is not None:
            check(field, body[field])


def _check_chat(body: dict[str, Any]) -> None:
    """Messages, tools and response format of a chat request."""
    validate_messages(body["messages"])
    _optional(body, "logprobs", _boolean)
    _optional(body, "top_logprobs", _int_range(0, 20))
    validate_tools(body)
    if body.get("response_format") is not None:
        validate_response_format(body["response_format"])


def _check_completions(body: dict[str, Any]) -> None:
    """Prompt and completion-only options."""
    _string_or_strings("prompt", body["prompt"])
    _optional(body, "error_behavior", _one_of("truncate", "error"))
    _optional(body, "suffix", _string)
    _optional(body, "echo", _boolean)
    _optional(body, "use_raw_prompt", _boolean)
    _optional(body, "logprobs", _int_range(0, 5))


def _check_embeddings(body: dict[str, Any]) -> None:
    """Input and embedding-only options; streaming is refused."""
    if body.get("stream"):
        raise invalid_value("`stream` is not supported for llm/v1/embeddings endpoints")
    _string_or_strings("input", body["input"])
    _optional(body, "instruction", _string)
    _optional(body, "encoding_format", _one_of("float", "base64"))
    _optional(body, "dimensions", _int_range(1, 1 << 16))


def _optional(body: dict[str, Any], field: str, check: Callable[[str, Any], None]) -> None:
    """Run ``check`` on ``body[field]`` when the field is present and not null."""
    if body.get(field) is not None:
        check(field, body[field])


def _string_or_strings(field: str, value: Any) -> None:
    """A string, or a non-empty list of strings."""
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise invalid_value(f"`{field}` must be a string or a non-empty list of strings")


def _is_int(value: Any) -> bool:
    """An int that is not a bool (JSON ``true`` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_range(low: int, high: int | None) -> Callable[[str, Any], None]:
    """A check for an integer in [low, high] (no upper bound when ``high`` is None)."""

    def check(field: str, value: Any) -> None:
        if not _is_int(value) or value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f">= {low}"
            raise invalid_value(f"`{field}` must be an integer {span}; got {value!r}")

    return check


def _number_range(low: float, high: float) -> Callable[[str, Any], None]:
    """A check for a number in [low, high]."""

    def check(field: str, value: Any) -> None:
        if not _is_number(value) or not low <= value <= high:
            raise invalid_value(
                f"`{field}` must be a number between {low} and {high}; got {value!r}"
            )

    return check


def _one_of(*allowed: str) -> Callable[[str, Any], None]:
    """A check for one of a few strings."""

    def check(field: str, value: Any) -> None:
        if value not in allowed:
            raise invalid_value(f"`{field}` must be one of {', '.join(allowed)}; got {value!r}")

    return check


def _positive_int(field: str, value: Any) -> None:
    """A strictly positive integer (``max_tokens``)."""
    if not _is_int(value) or value < 1:
        raise invalid_value(f"`{field}` must be a positive integer; got {value!r}")


def _boolean(field: str, value: Any) -> None:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise invalid_value(f"`{field}` must be true or false; got {value!r}")


def _string(field: str, value: Any) -> None:
    """Any string."""
    if not isinstance(value, str):
        raise invalid_value(f"`{field}` must be a string; got {type(value).__name__}")


def _mapping(field: str, value: Any) -> None:
    """A JSON object."""
    if not isinstance(value, dict):
        raise invalid_value(f"`{field}` must be an object; got {type(value).__name__}")


def _stop(field: str, value: Any) -> None:
    """A non-empty string or a list of them."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise invalid_value(
            f"`{field}` must be a non-empty string or a list of them; got {value!r}"
        )


_COMMON: dict[str, Callable[[str, Any], None]] = {
    "max_tokens": _positive_int,
    "temperature": _number_range(0, 2),
    "top_p": _number_range(0, 1),
    "top_k": _positive_int,
    "n": _int_range(1, 5),
    "stop": _stop,
    "stream": _boolean,
    "stream_options": _mapping,
    "extra_params": _mapping,
    "usage_context": _mapping,
    "client_request_id": _string,
}
_TASK_CHECKS = {CHAT: _check_chat, COMPLETIONS: _check_completions, EMBEDDINGS: _check_embeddings}
