"""Offline answers in the OpenAI-compatible shapes of control-plane-api.md §9."""

from __future__ import annotations

import time
import uuid
from typing import Any

from plane.inference.context import QueryContext, invalid_value
from plane.inference.embeddings import embed
from plane.inference.entity import embedding_dimension, model_name
from plane.inference.messages import message_text, tool_name_for
from plane.inference.model import apply_limits, compose_reply
from plane.inference.params import CHAT, COMPLETIONS, EMBEDDINGS
from plane.inference.structured import structured_content
from plane.inference.tokens import count_tokens
from plane.inference.tools import build_tool_calls, choose_tools

__all__ = ["answer_offline"]


def answer_offline(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """The offline model's JSON answer to a validated request for ``ctx.task``."""
    return _ANSWERS[ctx.task](ctx, body)


def _envelope(prefix: str, kind: str, model: str) -> dict[str, Any]:
    """The fields every completion response starts with."""
    return {
        "id": f"{prefix}-{uuid.uuid4().hex}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }


def _seed(ctx: QueryContext) -> str:
    """What makes one entity answer differently from another: its name and model."""
    return f"{ctx.entity.get('name', '')}/{model_name(ctx.entity, ctx.endpoint_name)}"


def _limits(body: dict[str, Any]) -> tuple[int | None, list[str]]:
    """``max_tokens`` and the ``stop`` sequences as a list."""
    stop = body.get("stop") or []
    return body.get("max_tokens"), [stop] if isinstance(stop, str) else list(stop)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    """The ``usage`` block of a chat or completions response."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _chat(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """A ``chat.completion`` with ``n`` choices: tool calls or (structured) text."""
    choices, used = [], 0
    for index in range(body.get("n") or 1):
        choice, tokens = _chat_choice(ctx, body, index)
        choices.append(choice)
        used += tokens
    prompt = sum(count_tokens(f"{m['role']} {message_text(m)}") for m in body["messages"])
    response = _envelope("chatcmpl", "chat.completion", model_name(ctx.entity, ctx.endpoint_name))
    return {**response, "choices": choices, "usage": _usage(prompt, used)}


def _chat_choice(ctx: QueryContext, body: dict[str, Any], index: int) -> tuple[dict[str, Any], int]:
    """One choice and the completion tokens it used."""
    seed, prompt = _seed(ctx), _prompt_text(body["messages"])
    tools = choose_tools(body)
    if tools:
        calls = build_tool_calls(tools, f"{seed}\x00{index}\x00{prompt}")
        used = sum(count_tokens(c["function"]["name"] + c["function"]["arguments"]) for c in calls)
        message = {"role": "assistant", "content": None, "tool_calls": calls}
        return {"index": index, "message": message, "finish_reason": "tool_calls"}, used
    answer = _chat_answer(body["messages"], seed, index)
    text = structured_content(body.get("response_format"), answer, f"{seed}\x00{index}\x00{prompt}")
    text, finish = apply_limits(text, *_limits(body))
    message = {"role": "assistant", "content": text}
    return {"index": index, "message": message, "finish_reason": finish}, count_tokens(text)


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    """The text the model answers: the last user message (else the last message)."""
    users = [m for m in messages if m["role"] == "user"]
    return message_text(users[-1] if users else messages[-1])


def _chat_answer(messages: list[dict[str, Any]], seed: str, index: int) -> str:
    """Report a tool result when the last message is one; otherwise answer the prompt."""
    last = messages[-1]
    if last["role"] == "tool":
        name = tool_name_for(messages, last["tool_call_id"]) or "requested"
        return f"The {name} tool returned: {message_text(last)}"
    return compose_reply(_prompt_text(messages), seed, index)


def _completions(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """A ``text_completion``: ``n`` choices per prompt, indexed prompt-major."""
    prompts = [body["prompt"]] if isinstance(body["prompt"], str) else body["prompt"]
    n, choices, used = body.get("n") or 1, [], 0
    for p, prompt in enumerate(prompts):
        for j in range(n):
            text, finish = apply_limits(compose_reply(prompt, _seed(ctx), j), *_limits(body))
            used += count_tokens(text)
            shown = prompt + text if body.get("echo") else text
            choices.append(
                {"index": p * n + j, "text": shown, "finish_reason": finish, "logprobs": None}
            )
    response = _envelope("cmpl", "text_completion", model_name(ctx.entity, ctx.endpoint_name))
    prompt_tokens = sum(count_tokens(p) for p in prompts)
    return {**response, "choices": choices, "usage": _usage(prompt_tokens, used)}


def _embeddings(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """A ``list`` of one unit vector per input, of the model's catalogue dimension."""
    inputs = [body["input"]] if isinstance(body["input"], str) else body["input"]
    model = model_name(ctx.entity, ctx.endpoint_name)
    size = embedding_dimension(ctx.entity, ctx.endpoint_name)
    wanted = body.get("dimensions") or size
    if wanted > size:
        raise invalid_value(f"`dimensions` {wanted} exceeds the {size} dimensions of {model!r}")
    data = [
        {"object": "embedding", "index": i, "embedding": embed(text, model, wanted)}
        for i, text in enumerate(inputs)
    ]
    tokens = sum(count_tokens(text) for text in inputs)
    return {
        "object": "list",
        "model": model,
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


_ANSWERS = {CHAT: _chat, COMPLETIONS: _completions, EMBEDDINGS: _embeddings}
