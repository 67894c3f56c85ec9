"""run_query refuses invalid requests with a 400 whose code and message name the field."""

from __future__ import annotations

from typing import Any

import pytest
from inference_helpers import CHAT, COMPLETIONS, EMBEDDINGS, answer, chat, make_ctx, query_error

BAD = "BAD_REQUEST"
INVALID = "INVALID_PARAMETER_VALUE"
PNG = "data:image/png;base64,iVBORw0KGgo="


@pytest.mark.parametrize(
    ("task", "body", "code", "needle"),
    [
        (CHAT, {"prompt": "hi"}, BAD, "expects `messages`"),
        (CHAT, {"input": "hi"}, BAD, "`input` is the input of llm/v1/embeddings"),
        (COMPLETIONS, chat("hi"), BAD, "expects `prompt`"),
        (EMBEDDINGS, {"prompt": "x"}, BAD, "expects `input`"),
        (CHAT, {}, BAD, "missing required field"),
        (COMPLETIONS, {"prompt": 3}, INVALID, "`prompt` must be a string or a non-empty list"),
        (COMPLETIONS, {"prompt": []}, INVALID, "`prompt`"),
        (EMBEDDINGS, {"input": ["a", 1]}, INVALID, "`input` must be a string"),
        (EMBEDDINGS, {"input": "a", "stream": True}, INVALID, "`stream` is not supported"),
        (
            COMPLETIONS,
            {"prompt": "x", "tools": []},
            BAD,
            "`tools` is only supported on llm/v1/chat",
        ),
    ],
)
def test_wrong_shape_for_task_names_the_expected_field(
    task: str, body: dict[str, Any], code: str, needle: str
) -> None:
    err = query_error(make_ctx(task), body)
    assert (err.status, err.error_code) == (400, code)
    assert needle in err.message


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"max_tokens": 0}, "`max_tokens` must be a positive integer"),
        ({"max_tokens": 2.5}, "`max_tokens`"),
        ({"max_tokens": True}, "`max_tokens`"),
        ({"temperature": 2.5}, "`temperature` must be a number between 0 and 2"),
        ({"temperature": "hot"}, "`temperature`"),
        ({"top_p": 1.2}, "`top_p` must be a number between 0 and 1"),
        ({"n": 0}, "`n` must be an integer between 1 and 5"),
        ({"n": 6}, "`n` must be an integer between 1 and 5"),
        ({"stop": 5}, "`stop` must be a non-empty string or a list"),
        ({"stop": [""]}, "`stop`"),
        ({"stream": "yes"}, "`stream` must be true or false"),
        ({"extra_params": []}, "`extra_params` must be an object"),
        ({"usage_context": "x"}, "`usage_context` must be an object"),
        ({"client_request_id": 7}, "`client_request_id` must be a string"),
    ],
)
def test_out_of_range_parameters_are_invalid_values(extra: dict[str, Any], needle: str) -> None:
    err = query_error(make_ctx(), chat("hi", **extra))
    assert (err.status, err.error_code) == (400, INVALID)
    assert needle in err.message


def test_valid_edge_values_and_optional_maps_are_accepted() -> None:
    body = chat(
        "hi",
        max_tokens=1,
        temperature=0,
        top_p=1,
        n=5,
        stop=["x"],
        extra_params={"seed": 1},
        usage_context={"team": "a"},
        client_request_id="req-1",
        user="ignored",
    )
    assert len(answer(make_ctx(), body)["choices"]) == 5


@pytest.mark.parametrize(
    ("messages", "code", "needle"),
    [
        ([], BAD, "`messages` must be a non-empty list"),
        ("hi", BAD, "`messages` must be a non-empty list"),
        ([{"role": "bot", "content": "x"}], INVALID, "`messages[0].role` must be one of"),
        ([{"role": "user"}], BAD, "`messages[0].content` is required"),
        ([{"role": "user", "content": 5}], INVALID, "`messages[0].content` must be a string"),
        ([{"role": "tool", "content": "r"}], BAD, "`messages[0].tool_call_id` is required"),
        (
            [{"role": "user", "content": [{"type": "audio", "data": "x"}]}],
            INVALID,
            "`messages[0].content[0].type` 'audio' is not a supported content block",
        ),
        (
            [{"role": "user", "content": [{"type": "text"}]}],
            INVALID,
            "content[0].text` is required",
        ),
        (
            [{"role": "user", "content": [{"type": "text", "text": "a", "cache_control": {}}]}],
            INVALID,
            "cache_control` must be",
        ),
        (
            [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}],
            BAD,
            "`messages[0].tool_calls[0].function.name` is required",
        ),
        (
            [{"role": "user", "content": [{"type": "reasoning", "summary": [{"type": "x"}]}]}],
            INVALID,
            "`messages[0].content[0].summary[0]` must be",
        ),
    ],
)
def test_bad_messages_name_the_field(messages: Any, code: str, needle: str) -> None:
    err = query_error(make_ctx(), {"messages": messages})
    assert (err.status, err.error_code) == (400, code)
    assert needle in err.message


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "http://example.com/cat.png", "ftp://x/y.png"]
)
def test_image_urls_must_be_base64_data_urls(url: str) -> None:
    block = {"type": "image_url", "image_url": {"url": url}}
    err = query_error(make_ctx(), {"messages": [{"role": "user", "content": [block]}]})
    assert (err.status, err.error_code) == (400, INVALID)
    assert "only base64 data URLs are supported" in err.message
    assert "messages[0].content[0].image_url.url" in err.message


def test_image_data_url_with_broken_base64_is_refused() -> None:
    block = {"type": "image_url", "image_url": {"url": "data:image/png;base64,***"}}
    err = query_error(make_ctx(), {"messages": [{"role": "user", "content": [block]}]})
    assert err.error_code == INVALID
    assert "invalid base64" in err.message


def test_every_supported_content_block_is_accepted() -> None:
    content = [
        {"type": "text", "text": "Look at this.", "cache_control": {"type": "ephemeral"}},
        {"type": "image_url", "image_url": {"url": PNG}},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
        {"type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "Zm9v"}]},
        {"type": "reasoning", "encrypted_content": "opaque"},
        {"type": "text", "text": "Reply with the single word OK."},
    ]
    result = answer(make_ctx(), {"messages": [{"role": "user", "content": content}]})
    assert result["choices"][0]["message"]["content"] == "OK"


def test_tool_conversation_messages_are_accepted() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "use f"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"ok": true}'},
    ]
    tools = [
        {"type": "function", "function": {"name": "f"}, "cache_control": {"type": "ephemeral"}}
    ]
    content = answer(make_ctx(), {"messages": messages, "tools": tools})["choices"][0]["message"]
    assert content["content"] == 'The f tool returned: {"ok": true}'


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"tools": {"name": "f"}}, "`tools` must be a list"),
        ({"tools": [{"type": "fn"}]}, '`tools[0].type` must be "function"'),
        (
            {"tools": [{"type": "function", "function": {"name": "a b"}}]},
            "`tools[0].function.name`",
        ),
        ({"tool_choice": "auto"}, "`tool_choice` is only allowed when `tools` are given"),
        (
            {"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "maybe"},
            "one of",
        ),
        (
            {
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": {"type": "function", "function": {"name": "g"}},
            },
            "'g' is not one of the `tools`",
        ),
        ({"response_format": {"type": "xml"}}, "`response_format.type` must be one of"),
        ({"response_format": {"type": "json_schema"}}, "`response_format.json_schema` is required"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
            "`response_format.json_schema.name` is required",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "nonsense"}},
                }
            },
            "`response_format.json_schema.schema` is not a valid JSON Schema",
        ),
    ],
)
def test_bad_tools_and_response_format_name_the_field(extra: dict[str, Any], needle: str) -> None:
    err = query_error(make_ctx(), chat("hi", **extra))
    assert err.status == 400
    assert err.error_code in (BAD, INVALID)
    assert needle in err.message


def test_body_that_is_not_an_object_is_a_bad_request() -> None:
    err = query_error(make_ctx(), ["messages"])  # type: ignore[arg-type]
    assert (err.status, err.error_code) == (400, BAD)
    assert "JSON object" in err.message


def test_null_optional_fields_count_as_absent() -> None:
    body = chat("Say hi", max_tokens=None, stop=None, n=None, tools=None, stream=None)
    assert answer(make_ctx(), body)["choices"][0]["message"]["content"] == "hi"
