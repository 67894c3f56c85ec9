"""Function calling: when the offline model calls a tool, and arguments that fit the schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from inference_helpers import answer, chat, make_ctx, query_error

WEATHER_PARAMS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_PARAMS}},
    {"type": "function", "function": {"name": "lookup-order"}},
]


def _message(body: dict[str, Any]) -> dict[str, Any]:
    choice: dict[str, Any] = answer(make_ctx(), body)["choices"][0]
    return choice


def _called(body: dict[str, Any]) -> list[str]:
    message = _message(body)["message"]
    return [c["function"]["name"] for c in message.get("tool_calls") or []]


@pytest.mark.parametrize(
    ("prompt", "choice", "expected"),
    [
        ("What's the weather in Paris? Use get_weather.", None, ["get_weather"]),
        ("Please GET WEATHER for Rome", "auto", ["get_weather"]),
        ("lookup order 42, then get_weather", "auto", ["get_weather", "lookup-order"]),
        ("Tell me a joke", "auto", []),
        ("Tell me a joke", "required", ["get_weather"]),
        ("please lookup-order 7", "required", ["lookup-order"]),
        ("use get_weather", "none", []),
        (
            "Tell me a joke",
            {"type": "function", "function": {"name": "lookup-order"}},
            ["lookup-order"],
        ),
    ],
)
def test_tool_choice_decides_deterministically(
    prompt: str, choice: Any, expected: list[str]
) -> None:
    body = chat(prompt, tools=TOOLS, **({"tool_choice": choice} if choice else {}))
    assert _called(body) == expected


def test_parallel_tool_calls_false_keeps_the_first() -> None:
    body = chat("lookup order 42, then get_weather", tools=TOOLS, parallel_tool_calls=False)
    assert _called(body) == ["get_weather"]


def test_tool_call_shape_and_finish_reason() -> None:
    choice = _message(chat("use get_weather", tools=TOOLS))
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["role"] == "assistant" and message["content"] is None
    (call,) = message["tool_calls"]
    assert set(call) == {"id", "type", "function"}
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert isinstance(call["function"]["arguments"], str)


def test_arguments_are_json_that_validates_against_parameters() -> None:
    for city in ("Paris", "Oslo", "Lima", "Cairo"):
        (call,) = _message(chat(f"get_weather for {city}", tools=TOOLS))["message"]["tool_calls"]
        jsonschema.validate(json.loads(call["function"]["arguments"]), WEATHER_PARAMS)


def test_tool_without_parameters_gets_an_empty_object() -> None:
    body = chat(
        "x", tools=TOOLS, tool_choice={"type": "function", "function": {"name": "lookup-order"}}
    )
    (call,) = _message(body)["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {}


def test_tool_calls_are_deterministic() -> None:
    body = chat("use get_weather", tools=TOOLS)
    assert _message(body) == _message(body)


def test_after_a_tool_result_auto_answers_in_text() -> None:
    first = _message(chat("use get_weather", tools=TOOLS))["message"]
    messages = [
        {"role": "user", "content": "use get_weather"},
        first,
        {"role": "tool", "tool_call_id": first["tool_calls"][0]["id"], "content": "12 degrees"},
    ]
    choice = _message({"messages": messages, "tools": TOOLS})
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "The get_weather tool returned: 12 degrees"


def test_unresolvable_ref_in_parameters_is_a_clear_400() -> None:
    tool = {
        "type": "function",
        "function": {"name": "f", "parameters": {"$ref": "https://example.com/s.json"}},
    }
    err = query_error(make_ctx(), chat("use f", tools=[tool]))
    assert (err.status, err.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "tool 'f' parameters" in err.message and "not local" in err.message


def test_invalid_parameters_schema_is_a_clear_400() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "obj"}}}
    err = query_error(make_ctx(), chat("use f", tools=[tool]))
    assert (err.status, err.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "`tools[0].function.parameters` is not a valid JSON Schema at type" in err.message
