"""The smoke query after every create/update: few tokens, the right shape, the file's expect.

One query goes to the endpoint's route; with ``per_entity`` one more per served
entity. A request costs at most ``max_tokens`` (1–16) output tokens. Each answer is
checked for its task's shape (chat ``choices[].message``, completions
``choices[].text``, embeddings ``data[].embedding`` and its dimension) and for the
file's ``expect`` (``contains``, ``max_latency_ms``, ``dimension``).

A query answered 429 or 503, or one that got no answer because the connection failed,
is sent again (``SmokeRetry``: 3 tries, honouring ``Retry-After`` up to a cap) before
it counts as failed; any other answer is judged at once. A query that timed out is not
re-sent: it already waited its ``timeout_seconds``. An answer that cannot be read (a
body that is not in its ``Content-Encoding``) fails that query only. The outcome
records the tries.

``servingops smoke`` runs many endpoints at once (``run_smoke_all``: a bounded thread
pool sharing one client) and may give each endpoint a time budget (``timeout_s``):
its queries and retry waits end by then, a read timeout shrinks to what is left.

A route-optimized endpoint (``route_optimized: true`` in the file) is queried on its
route-optimized URL with a data-plane token (``ControlPlaneClient.query_data_plane``).
That needs OAuth M2M: with a personal access token the query is not sent and the outcome
is *skipped* (``SmokeOutcome.skipped`` names the reason and the fix), reported but not a
failure. Its served entities have no route-optimized URL of their own: ``per_entity``
queries are skipped too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from servingops.auth import OAuthRequired
from servingops.clock import Clock, RealClock
from servingops.errors import (
    ApiError,
    ControlPlaneUnreachable,
    SmokeFailed,
    ToolError,
    UnreadableAnswer,
)
from servingops.model.endpoint import SWITCHED_OFF, EndpointSpec, SmokeSpec
from servingops.pool import DEFAULT_SMOKE_JOBS, bounded_map
from servingops.redact import redact_text, secret_values

EXCERPT = 200
"""What a query raises instead of answering: nothing came back, or nothing readable."""
TRANSIENT = frozenset({429, 503})
"""Statuses that say "not now" rather than "broken": the query is sent again."""


class QueryAnswer(Protocol):
    """What a query returns: status, parsed JSON (or None), raw text, who served, latency."""

    status: int
    json: Any
    text: str
    served_model_name: str | None
    latency_ms: float
    retry_after: float | None


class Querier(Protocol):
    """Anything that can query an endpoint (the control-plane client)."""

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> QueryAnswer:
        """POST an invocation and return the answer without raising on HTTP errors.

        A client that queries route-optimized endpoints also takes ``route_optimized=True``
        (passed only for those endpoints)."""
        ...


@dataclass(frozen=True)
class SmokeRetry:
    """How often a transient failure (429, 503, no connection) is re-sent, and how long
    to wait in between (seconds)."""

    tries: int = 3
    """Queries sent at most, the first included."""
    backoff_s: float = 1.0
    """The wait after the first try without ``Retry-After``; doubled after each try."""
    max_wait_s: float = 10.0
    """The longest wait between tries; a longer ``Retry-After`` is cut to this."""

    def wait(self, tries_done: int, retry_after: float | None) -> float:
        """Seconds to wait after ``tries_done`` tries: ``Retry-After``, else backoff."""
        wait = self.backoff_s * 2 ** (tries_done - 1) if retry_after is None else retry_after
        return max(0.0, min(wait, self.max_wait_s))


@dataclass(frozen=True)
class SmokeOutcome:
    """The result of one smoke query: ``problem`` is empty when it passed."""

    endpoint: str
    entity: str | None
    status: int
    """HTTP status of the last answer; 0 when no answer came back."""
    latency_ms: float
    problem: str
    excerpt: str = ""
    tries: int = 1
    """Queries sent to get this outcome (more than 1 after 429/503/no connection)."""
    skipped: str = ""
    """Why the query was not sent and that is no failure (empty when it was sent), with
    the fix, e.g. a route-optimized endpoint with a personal access token."""
    unreachable: bool = False
    """True when the last try could not connect to the control plane (refused, DNS, TLS,
    connect timeout): that says the run is broken, not the endpoint (exit 1, a JUnit
    ``<error>``). A read timeout or a dropped connection is the endpoint's failure."""

    @property
    def ok(self) -> bool:
        """True when the query passed every check (or was skipped)."""
        return not self.problem

    @property
    def target(self) -> str:
        """What was queried: ``endpoint/entity``, or ``endpoint (route)``."""
        return f"{self.endpoint}/{self.entity}" if self.entity else f"{self.endpoint} (route)"

    def describe(self) -> str:
        """One line naming endpoint, entity, status and what went wrong."""
        if self.skipped:
            return f"{self.target}: skipped: {self.skipped}"
        text = f"{self.target}: HTTP {self.status}, {self.latency_ms:.0f} ms"
        if self.tries > 1:
            text += f", after {self.tries} tries"
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


def run_smoke(
    client: Querier,
    spec: EndpointSpec,
    *,
    clock: Clock | None = None,
    retry: SmokeRetry | None = None,
    timeout_s: float | None = None,
) -> list[SmokeOutcome]:
    """Query the route (and each entity when ``per_entity``); never raises on a failed check.

    Transient failures are re-sent as ``retry`` says, sleeping on ``clock`` (default: the
    client's own ``clock`` if it has one, else the real clock). A query that never got an
    answer becomes a failed outcome with status 0. Nothing is sent when the smoke check is
    disabled or the file switches the endpoint off (``EndpointSpec.switched_off``).
    ``timeout_s`` (seconds, None: no limit) is this endpoint's budget: no query or retry
    wait runs past it, and a query it leaves no time for fails with status 0 unsent.
    """
    if not spec.smoke.enabled or spec.switched_off:
        return []
    targets: list[str | None] = [None]
    if spec.smoke.per_entity:
        targets += spec.entity_names()
    clock = clock or _clock_of(client)
    deadline = None if timeout_s is None else clock.now() + timeout_s
    sender = _Sender(client, spec, clock, retry or SmokeRetry(), deadline, timeout_s)
    return [sender.outcome(entity) for entity in targets]


def run_smoke_all(
    client: Querier,
    specs: Sequence[EndpointSpec],
    *,
    jobs: int = DEFAULT_SMOKE_JOBS,
    timeout_s: float | None = None,
) -> list[list[SmokeOutcome]]:
    """``run_smoke`` for every spec, at most ``jobs`` endpoints at a time (one client,
    shared): the outcomes of each spec, in the order of ``specs``. An endpoint its file
    switches off (``EndpointSpec.switched_off``) is one skipped outcome, nothing sent."""

    def one(spec: EndpointSpec) -> list[SmokeOutcome]:
        if spec.switched_off and spec.smoke.enabled:
            return [SmokeOutcome(spec.name, None, 0, 0.0, "", tries=0, skipped=SWITCHED_OFF)]
        return run_smoke(client, spec, timeout_s=timeout_s)

    return bounded_map(one, specs, jobs)


def _clock_of(client: Querier) -> Clock:
    """The client's clock (``ControlPlaneClient.clock``), so injected fake time is shared."""
    clock = getattr(client, "clock", None)
    return clock if clock is not None else RealClock()


@dataclass(frozen=True)
class _Sender:
    """Sends one smoke query with retries and judges the last answer."""

    client: Querier
    spec: EndpointSpec
    clock: Clock
    retry: SmokeRetry
    deadline: float | None = None
    """Clock time by which this endpoint's queries end (None: no limit)."""
    budget_s: float | None = None
    """The endpoint's time budget in seconds, for the message when it runs out."""

    def outcome(self, entity: str | None) -> SmokeOutcome:
        """The judged outcome of the query to ``entity`` (``None``: the route)."""
        if self.spec.route_optimized and entity is not None:
            why = "a route-optimized endpoint has no route-optimized URL per served entity"
            return SmokeOutcome(self.spec.name, entity, 0, 0.0, "", tries=0, skipped=why)
        if self._left() <= 0:
            problem = f"not sent: the endpoint's smoke timeout of {self.budget_s:g} s ran out"
            return SmokeOutcome(self.spec.name, entity, 0, 0.0, problem, tries=0)
        answer, tries = self._send(entity)
        if isinstance(answer, OAuthRequired):
            skipped = f"{answer.message}; hint: {answer.hint}"
            return SmokeOutcome(self.spec.name, entity, 0, 0.0, "", tries=0, skipped=skipped)
        if isinstance(answer, ToolError):
            return self._no_answer(entity, answer, tries)
        # the problem may quote the answer (``expect.contains``): redacted like the excerpt
        problem = redact_text(
            check_answer(self.spec.task, self.spec.smoke, answer), self._secrets()
        )
        excerpt = _excerpt(answer, self._secrets()) if problem else ""
        status, latency = answer.status, answer.latency_ms
        return SmokeOutcome(self.spec.name, entity, status, latency, problem, excerpt, tries)

    def _send(self, entity: str | None) -> tuple[QueryAnswer | ToolError, int]:
        """The last answer (or connection failure) and how many tries it took."""
        tries = 1
        while True:
            answer = self._query(entity)
            if tries >= self.retry.tries or not _transient(answer):
                return answer, tries
            retry_after = None if isinstance(answer, ToolError) else answer.retry_after
            wait = self.retry.wait(tries, retry_after)
            if wait >= self._left():
                return answer, tries  # the next try would start after the deadline
            self.clock.sleep(wait)
            tries += 1

    def _left(self) -> float:
        """Seconds left before the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - self.clock.now()

    def _query(self, entity: str | None) -> QueryAnswer | ToolError:
        """The answer; a route-optimized endpoint's GET or token exchange failing, no
        answer at all, or one that cannot be read comes back as the error."""
        body = build_request(self.spec.task, self.spec.smoke)
        timeout = min(self.spec.smoke.timeout_seconds, self._left())
        extra: dict[str, Any] = {"route_optimized": True} if self.spec.route_optimized else {}
        try:
            return self.client.query_endpoint(
                self.spec.name, body, entity=entity, timeout=timeout, **extra
            )
        except (ControlPlaneUnreachable, UnreadableAnswer, ApiError, OAuthRequired) as err:
            return err

    def _no_answer(self, entity: str | None, err: ToolError, tries: int) -> SmokeOutcome:
        """The failed outcome of a query that got no (readable) answer, or
        (route-optimized) whose data-plane GET or token exchange failed (then the status
        is that call's)."""
        message = redact_text(err.message.splitlines()[0], self._secrets())
        if isinstance(err, ApiError) and not isinstance(err, UnreadableAnswer):
            tip = redact_text(err.hint, self._secrets())
            problem = f"no query sent: {message}" + (f" (hint: {tip})" if tip else "")
            return SmokeOutcome(self.spec.name, entity, err.status, 0.0, problem, tries=tries)
        lead = "unreadable answer" if isinstance(err, UnreadableAnswer) else "no answer"
        unreachable = isinstance(err.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
        return SmokeOutcome(
            self.spec.name,
            entity,
            0,
            0.0,
            f"{lead}: {message}",
            tries=tries,
            unreachable=unreachable,
        )

    def _secrets(self) -> tuple[str, ...]:
        return secret_values(self.spec.raw)


def _transient(answer: QueryAnswer | ToolError) -> bool:
    """429/503, or no connection (a query that timed out waiting for its answer already
    waited ``timeout_seconds``: it is not sent again). An unreadable answer is final; a
    failed GET or token exchange was already retried by the client."""
    if isinstance(answer, UnreadableAnswer):
        return False
    if isinstance(answer, ControlPlaneUnreachable):
        return not isinstance(answer.__cause__, httpx.ReadTimeout | httpx.WriteTimeout)
    if isinstance(answer, ToolError):
        return False
    return answer.status in TRANSIENT


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
