"""The smoke query after every create/update: few tokens, the right shape, the file's expect.

One query goes to the endpoint's route; with ``per_entity`` one more per served
entity. A request costs at most ``max_tokens`` (1–16) output tokens. Each answer is
checked for its task's shape (chat ``choices[].message``, completions
``choices[].text``, embeddings ``data[].embedding`` and its dimension) and for the
file's ``expect`` (``contains``, ``max_latency_ms``, ``dimension``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from servingops.errors import SmokeFailed
from servingops.model.endpoint import EndpointSpec, SmokeSpec
from servingops.redact import redact_text, secret_values

EXCERPT = 200


class QueryAnswer(Protocol):
    """What a query returns: status, parsed JSON (or None), raw text, who served, latency."""

    status: int
    json: Any
    text: str
    served_model_name: str | None
    latency_ms: float


class Querier(Protocol):
    """Anything that can query an endpoint (the control-plane client)."""

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> QueryAnswer:
        """POST an invocation and return the answer without raising on HTTP errors."""
        ...


@dataclass(frozen=True)
class SmokeOutcome:
    """The result of one smoke query: ``problem`` is empty when it passed."""

    endpoint: str
    entity: str | None
    status: int
    latency_ms: float
    problem: str
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        """True when the query passed every check."""
        return not self.problem

    def describe(self) -> str:
        """One line naming endpoint, entity, status and what went wrong."""
        target = f"{self.endpoint}/{self.entity}" if self.entity else f"{self.endpoint} (route)"
        text = f"{target}: HTTP {self.status}, {self.latency_ms:.0f} ms"
        if self.problem:
            text += f": {self.problem}"
            if self.excerpt:
                text += f"\n    body: {self.excerpt}"
        return text


def build_request(task: str, smoke: SmokeSpec) -> dict[str, Any]:
    """The task-shaped request body: chat ``messages``, completion ``prompt``, ``input``."""
    if task == "llm/v1/embeddings":
        return {"input": smoke.input or smoke.prompt}
    body: dict[str, Any] = {"max_tokens": smoke.max_tokens, "temperature": 0}
    if task == "llm/v1/chat":
        body["messages"] = [{"role": "user", "content": smoke.prompt}]
    else:
        body["prompt"] = smoke.prompt
    return body


def check_answer(task: str, smoke: SmokeSpec, answer: QueryAnswer) -> str:
    """Why the answer fails (empty string when it passes)."""
    if answer.status != 200:
        return "the query was not answered with 200"
    if not isinstance(answer.json, dict):
        return "the answer is not a JSON object"
    shape = _SHAPES[task](answer.json, smoke)
    if shape:
        return shape
    if smoke.max_latency_ms is not None and answer.latency_ms > smoke.max_latency_ms:
        limit = smoke.max_latency_ms
        return f"took {answer.latency_ms:.0f} ms, more than expect.max_latency_ms {limit}"
    return ""


def _chat(body: dict[str, Any], smoke: SmokeSpec) -> str:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return "chat answer has no choices"
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        return "chat answer's first choice has no message"
    return _contains(str(message.get("content") or ""), smoke)


def _completion(body: dict[str, Any], smoke: SmokeSpec) -> str:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "completion answer has no choices"
    if not isinstance(choices[0].get("text"), str):
        return "completion answer's first choice has no text"
    return _contains(choices[0]["text"], smoke)


def _embedding(body: dict[str, Any], smoke: SmokeSpec) -> str:
    data = body.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return "embeddings answer has no data"
    vector = data[0].get("embedding")
    if not isinstance(vector, list) or not vector:
        return "embeddings answer has no embedding vector"
    if not all(isinstance(x, int | float) for x in vector):
        return "embedding vector holds non-numbers"
    if smoke.dimension is not None and len(vector) != smoke.dimension:
        return f"embedding has {len(vector)} dimensions, expected {smoke.dimension}"
    return ""


def _contains(text: str, smoke: SmokeSpec) -> str:
    if smoke.contains is not None and smoke.contains not in text:
        return f"answer does not contain {smoke.contains!r}: got {text[:80]!r}"
    return ""


_SHAPES = {"llm/v1/chat": _chat, "llm/v1/completions": _completion, "llm/v1/embeddings": _embedding}


def run_smoke(client: Querier, spec: EndpointSpec) -> list[SmokeOutcome]:
    """Query the route (and each entity when ``per_entity``); never raises on a failed check."""
    if not spec.smoke.enabled:
        return []
    targets: list[str | None] = [None]
    if spec.smoke.per_entity:
        targets += spec.entity_names()
    body = build_request(spec.task, spec.smoke)
    return [_one(client, spec, body, entity) for entity in targets]


def _one(
    client: Querier, spec: EndpointSpec, body: dict[str, Any], entity: str | None
) -> SmokeOutcome:
    answer = client.query_endpoint(
        spec.name, body, entity=entity, timeout=spec.smoke.timeout_seconds
    )
    problem = check_answer(spec.task, spec.smoke, answer)
    excerpt = _excerpt(answer, secret_values(spec.raw)) if problem else ""
    return SmokeOutcome(spec.name, entity, answer.status, answer.latency_ms, problem, excerpt)


def _excerpt(answer: QueryAnswer, secrets: tuple[str, ...]) -> str:
    """A short body excerpt, redacted (an upstream error may echo a key) before cutting."""
    text = redact_text(answer.text if answer.text else json.dumps(answer.json), secrets)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def raise_on_failure(outcomes: list[SmokeOutcome]) -> None:
    """Raise SmokeFailed naming every failed query (endpoint, entity, status, excerpt)."""
    failed = [o for o in outcomes if not o.ok]
    if failed:
        lines = "\n  ".join(o.describe() for o in failed)
        raise SmokeFailed(
            f"smoke check failed for {len(failed)} of {len(outcomes)} quer(ies):\n  {lines}",
            hint="query it yourself with `servingops smoke <file>`; "
            "set smoke.on_failure: rollback to restore the previous config on failure",
        )
