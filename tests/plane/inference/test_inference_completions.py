"""Offline completions: §9 shape, list prompts, n, echo, limits."""

from __future__ import annotations

from inference_helpers import COMPLETIONS, answer, make_ctx

from plane.inference.tokens import count_tokens


def test_completion_response_has_the_documented_shape() -> None:
    result = answer(make_ctx(COMPLETIONS), {"prompt": "Reply with the single word OK."})
    assert set(result) == {"id", "object", "created", "model", "choices", "usage"}
    assert result["object"] == "text_completion"
    assert result["id"].startswith("cmpl-")
    assert result["model"] == "gpt-4o-mini"
    assert result["choices"] == [
        {"index": 0, "text": "OK", "finish_reason": "stop", "logprobs": None}
    ]
    assert result["usage"] == {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}


def test_list_prompt_with_n_indexes_prompt_major() -> None:
    body = {"prompt": ["Say a", "Say b"], "n": 2}
    result = answer(make_ctx(COMPLETIONS), body)
    assert [(c["index"], c["text"]) for c in result["choices"]] == [
        (0, "a"),
        (1, "a"),
        (2, "b"),
        (3, "b"),
    ]
    assert result["usage"]["prompt_tokens"] == count_tokens("Say a") + count_tokens("Say b")


def test_echo_prefixes_the_prompt_but_usage_counts_only_generated_text() -> None:
    result = answer(make_ctx(COMPLETIONS), {"prompt": "Say yes", "echo": True})
    assert result["choices"][0]["text"] == "Say yesyes"
    assert result["usage"]["completion_tokens"] == 1


def test_max_tokens_and_stop_apply_to_completions() -> None:
    ctx = make_ctx(COMPLETIONS)
    full = answer(ctx, {"prompt": "Once upon a time"})["choices"][0]["text"]
    cut = answer(ctx, {"prompt": "Once upon a time", "max_tokens": 2})["choices"][0]
    assert (count_tokens(cut["text"]), cut["finish_reason"]) == (2, "length")
    assert full.startswith(cut["text"])
    stopped = answer(ctx, {"prompt": "Once upon a time", "stop": ":"})["choices"][0]
    assert stopped["text"] == full.split(":")[0]
    assert stopped["finish_reason"] == "stop"


def test_completion_only_options_are_accepted() -> None:
    body = {"prompt": "Say x", "error_behavior": "truncate", "suffix": "!", "use_raw_prompt": True}
    assert answer(make_ctx(COMPLETIONS), body)["choices"][0]["text"] == "x"
