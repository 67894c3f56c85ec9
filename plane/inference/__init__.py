"""The local plane's query engine: validate a query, answer it offline or forward it.

``run_query(ctx, body)`` is what the plane's invocation routes call. It returns the JSON
response as a dict, or an iterator of SSE bytes when ``body["stream"]`` is true, and
raises ``QueryError`` (with ``.status``, ``.error_code``, ``.message``) otherwise.

    validate (params, messages, tools, structured)
      └─ external openai/custom model with a base URL, forwarding allowed → forward
      └─ otherwise → offline model (model, instances, embeddings) → responses
                                                                   └─ streaming
    custom model (task ``custom``) → tabular predictions (MLflow scoring protocol)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from plane.inference.context import QueryContext, QueryError
from plane.inference.forward import find_upstream, forward_query, forwarding_allowed
from plane.inference.params import CHAT, validate_request
from plane.inference.responses import answer_offline
from plane.inference.streaming import stream_chat, stream_completion, wants_usage
from plane.inference.tabular import CUSTOM, predict

__all__ = ["QueryContext", "QueryError", "run_query"]


def run_query(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any] | Iterator[bytes]:
    """Answer one query for ``ctx``: a JSON dict, or SSE bytes when ``body["stream"]``.

    Validation happens before anything is returned, so a bad request raises here even
    when streaming; an upstream error status raises here too (the stream only starts
    once the upstream has answered 2xx).
    """
    if ctx.task == CUSTOM:
        return _reading_input(predict, ctx, body)  # type: ignore[no-any-return]
    _reading_input(validate_request, ctx.task, body)
    upstream = find_upstream(ctx.entity)
    if upstream is not None and forwarding_allowed(upstream.base_url, ctx.forward):
        return forward_query(ctx, upstream, body)
    answer: dict[str, Any] = _reading_input(answer_offline, ctx, body)
    if not body.get("stream"):
        return answer
    usage = wants_usage(body)
    return stream_chat(answer, usage) if ctx.task == CHAT else stream_completion(answer, usage)


def _reading_input(step: Callable[..., Any], *args: Any) -> Any:
    """Run a step that reads the caller's request; a shape no check foresaw is a 400."""
    try:
        return step(*args)
    except (TypeError, ValueError, OverflowError, AttributeError, RecursionError) as err:
        raise QueryError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"The request could not be read ({type(err).__name__}: {err}); check its fields.",
        ) from None
