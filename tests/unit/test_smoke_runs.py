"""``servingops smoke`` at scale: many endpoints at once, a time budget per endpoint, and
the reports (text, GitHub annotations, JUnit XML that any parser reads)."""

from __future__ import annotations

import copy
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fakes import FakeClock

from servingops.errors import ControlPlaneUnreachable
from servingops.model import EndpointSpec
from servingops.smoke import SmokeOutcome, run_smoke, run_smoke_all
from servingops.smokereport import format_github, format_text, junit_xml, write_junit

CHAT_OK = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}


@dataclass
class Answer:
    status: int
    json: Any
    text: str = ""
    served_model_name: str | None = None
    latency_ms: float = 10.0
    retry_after: float | None = None


def spec(name: str = "chat", **smoke: Any) -> EndpointSpec:
    raw = {
        "name": name,
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {
                    "provider": "openai",
                    "name": "gpt-4o-mini",
                    "openai_config": {"openai_api_key": "{{secrets/s/k}}"},
                },
            }
        ],
        "smoke": smoke,
    }
    return EndpointSpec.from_mapping(copy.deepcopy(raw))


@dataclass
class Gate:
    """A querier that answers only once ``width`` queries wait at the same time."""

    width: int
    barrier: threading.Barrier = field(init=False)
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.barrier = threading.Barrier(self.width, timeout=5)

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> Answer:
        self.names.append(name)
        self.barrier.wait()  # raises BrokenBarrierError if the queries were sequential
        return Answer(200, CHAT_OK)


def test_endpoints_are_queried_at_once_and_reported_in_order() -> None:
    specs = [spec(f"e{i:02d}") for i in range(10)]
    gate = Gate(width=10)
    runs = run_smoke_all(gate, specs, jobs=10)
    assert [run[0].endpoint for run in runs] == [s.name for s in specs]
    assert all(run[0].ok for run in runs) and sorted(gate.names) == [s.name for s in specs]


@dataclass
class Slow:
    """Every query takes ``seconds`` of fake time, or fails with ``error``."""

    clock: FakeClock
    seconds: float
    error: Exception | None = None
    timeouts: list[float] = field(default_factory=list)

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
    ) -> Answer:
        self.timeouts.append(timeout)
        self.clock.advance(min(self.seconds, timeout))
        if self.error is not None:
            raise self.error
        return Answer(200, CHAT_OK, latency_ms=self.seconds * 1000)


def test_the_budget_shrinks_read_timeouts_and_skips_what_it_leaves_no_time_for() -> None:
    clock = FakeClock()
    querier = Slow(clock, seconds=4.0)
    outcomes = run_smoke(querier, spec(per_entity=True, timeout_seconds=30), timeout_s=5)
    assert querier.timeouts == [5.0, 1.0]  # the route used 4 of the 5 s
    assert [o.ok for o in outcomes] == [True, True]
    clock2 = FakeClock()
    outcomes = run_smoke(Slow(clock2, seconds=5.0), spec(per_entity=True), timeout_s=5)
    assert outcomes[1].status == 0 and outcomes[1].tries == 0
    assert "not sent: the endpoint's smoke timeout of 5 s ran out" in outcomes[1].problem


def test_no_retry_wait_runs_past_the_budget() -> None:
    clock = FakeClock()
    refused = ControlPlaneUnreachable("connection refused")
    refused.__cause__ = httpx.ConnectError("refused")
    querier = Slow(clock, seconds=0.5, error=refused)
    [outcome] = run_smoke(querier, spec(), timeout_s=2)
    assert outcome.tries == 2 and clock.sleeps == [1.0]  # a second wait (2 s) would pass it
    assert "no answer" in outcome.problem


# -- reports -------------------------------------------------------------------------------

NASTY = 'upstream said <b>"no"</b> & \x1b[31mred\x1b[0m \x00\x12 ]]> \ud800 \ufffe'
OUTCOMES = [
    SmokeOutcome("chat", None, 200, 12.0, ""),
    SmokeOutcome("chat", "gpt", 500, 130.5, "the query was not answered with 200", NASTY),
    SmokeOutcome("embed, v2", None, 0, 0.0, "no answer: control plane: timed out"),
]


def test_junit_has_one_case_per_query_and_parses_despite_control_characters(
    tmp_path: Path,
) -> None:
    target = tmp_path / "smoke.xml"
    write_junit(target, OUTCOMES, elapsed_s=0.25)
    root = ET.parse(target).getroot()  # raises on anything XML 1.0 forbids
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "2"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        ("chat", "route", "0.012"),
        ("chat", "gpt", "0.131"),
        ("embed, v2", "route", "0.000"),
    ]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == OUTCOMES[1].problem
    text = failure.text or ""
    assert 'upstream said <b>"no"</b> & \\x1b[31mred' in text and "]]>" in text
    assert "\\x00\\x12" in text and "\\ud800 \\ufffe" in text
    assert root.get("time") == "0.250"


def test_junit_of_no_queries_is_an_empty_suite() -> None:
    root = ET.fromstring(junit_xml([]))
    assert root.find("testsuite") is not None and root.findall(".//testcase") == []


def test_text_and_github_formats() -> None:
    text = format_text(OUTCOMES)
    assert text.splitlines()[0] == "ok   chat (route): HTTP 200, 12 ms"
    assert "FAIL chat/gpt: HTTP 500, 130 ms" in text
    assert text.endswith("3 smoke quer(ies): 1 passed, 2 failed\n")
    github = format_github(OUTCOMES, {"chat": "endpoints/chat.yaml"}).splitlines()
    assert github[0] == "ok   chat (route): HTTP 200, 12 ms"
    assert github[1].startswith(
        "::error file=endpoints/chat.yaml,title=smoke%3A chat/gpt::chat/gpt: HTTP 500"
    )
    assert "%0A    body: upstream said" in github[1] and "\n" not in github[1]
    assert github[2].startswith("::error title=smoke%3A embed%2C v2 (route)::")


def test_junit_never_holds_a_key_the_upstream_echoed() -> None:
    key = "sk-PLAINTEXT-0123456789"
    raw = copy.deepcopy(spec().raw)
    raw["served_entities"][0]["external_model"]["openai_config"] = {"openai_api_key_plaintext": key}
    echo = Answer(401, {"message": f"bad key {key}"}, text=f'{{"message": "bad key {key}"}}')

    @dataclass
    class Echo:
        def query_endpoint(
            self, name: str, body: dict[str, Any], *, entity: str | None = None, timeout: float
        ) -> Answer:
            return echo

    outcomes = run_smoke(Echo(), EndpointSpec.from_mapping(raw), clock=FakeClock())
    document = junit_xml(outcomes)
    assert b"bad key" in document and key.encode() not in document
