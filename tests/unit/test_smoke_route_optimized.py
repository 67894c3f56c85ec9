"""Smoke checks of route-optimized endpoints: the query asks for the route-optimized URL,
a personal access token makes a reported skip (not a failure, never silent), a failed
GET or token exchange is a failure naming the endpoint, and the reports show skips."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from fakes import FakeClock

from servingops import smokereport
from servingops.auth import DATA_PLANE_HINT, OAuthRequired
from servingops.errors import Unauthenticated
from servingops.model import EndpointSpec
from servingops.smoke import SmokeOutcome, raise_on_failure, run_smoke

CHAT_OK = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}


@dataclass
class Answer:
    status: int
    json: Any
    text: str = ""
    served_model_name: str | None = None
    latency_ms: float = 10.0
    retry_after: float | None = None


@dataclass
class Querier:
    """Records each query's keyword arguments; raises or answers ``answer``."""

    answer: Answer | Exception
    calls: list[dict[str, Any]] = field(default_factory=list)
    clock: FakeClock = field(default_factory=FakeClock)

    def query_endpoint(
        self, name: str, body: dict[str, Any], *, entity: str | None = None, **options: Any
    ) -> Answer:
        self.calls.append({"name": name, "entity": entity, **options})
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _spec(route_optimized: bool | None = True, **smoke: Any) -> EndpointSpec:
    entity = {
        "name": "gpt",
        "external_model": {
            "provider": "openai",
            "name": "gpt-4o-mini",
            "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
        },
    }
    raw: dict[str, Any] = {
        "name": "ro-chat",
        "tier": "external",
        "task": "llm/v1/chat",
        "served_entities": [entity],
        "smoke": smoke,
    }
    if route_optimized is not None:
        raw["route_optimized"] = route_optimized
    return EndpointSpec.from_mapping(copy.deepcopy(raw))


def test_route_optimized_spec_queries_the_route_optimized_url() -> None:
    querier = Querier(Answer(200, CHAT_OK))
    (outcome,) = run_smoke(querier, _spec())
    assert outcome.ok and not outcome.skipped
    assert querier.calls == [
        {"name": "ro-chat", "entity": None, "timeout": 30.0, "route_optimized": True}
    ]


def test_other_specs_do_not_pass_route_optimized() -> None:
    for route_optimized in (None, False):
        querier = Querier(Answer(200, CHAT_OK))
        run_smoke(querier, _spec(route_optimized))
        assert "route_optimized" not in querier.calls[0]


def test_personal_access_token_is_a_reported_skip_with_the_hint() -> None:
    refused = OAuthRequired(
        "route-optimized endpoints accept only OAuth tokens", hint=DATA_PLANE_HINT
    )
    querier = Querier(refused)
    (outcome,) = run_smoke(querier, _spec())
    assert outcome.ok and outcome.tries == 0 and len(querier.calls) == 1  # never re-sent
    assert outcome.skipped.startswith("route-optimized endpoints accept only OAuth tokens")
    assert "DATABRICKS_CLIENT_ID/SECRET" in outcome.skipped
    line = outcome.describe()
    assert line.startswith("ro-chat (route): skipped: ") and "HTTP" not in line
    raise_on_failure([outcome])  # a skip is no failure


def test_per_entity_queries_of_a_route_optimized_endpoint_are_skipped_unsent() -> None:
    querier = Querier(Answer(200, CHAT_OK))
    route, gpt = run_smoke(querier, _spec(per_entity=True))
    assert route.ok and not route.skipped
    assert gpt.entity == "gpt" and gpt.ok and "per served entity" in gpt.skipped
    assert len(querier.calls) == 1


def test_a_refused_token_exchange_is_a_failure_naming_the_endpoint_without_the_token() -> None:
    refused = Unauthenticated(
        "exchange_data_plane_token failed: POST https://w/oidc/v1/token -> 400: bad",
        status=400,
        code="",
        method="POST",
        url="https://w/oidc/v1/token",
        hint="set DATABRICKS_CLIENT_ID/SECRET",
    )
    (outcome,) = run_smoke(Querier(refused), _spec())
    assert not outcome.ok and outcome.status == 400 and not outcome.skipped
    assert "exchange_data_plane_token failed" in outcome.problem
    assert "hint: set DATABRICKS_CLIENT_ID/SECRET" in outcome.problem
    assert outcome.describe().startswith("ro-chat (route): HTTP 400")


SKIP = SmokeOutcome("ro-chat", None, 0, 0.0, "", tries=0, skipped="no OAuth; hint: set X")
PASS = SmokeOutcome("chat", None, 200, 12.0, "")
FAIL = SmokeOutcome("emb", None, 500, 3.0, "the query was not answered with 200")


def test_text_report_marks_skips_and_counts_them() -> None:
    text = smokereport.format_text([PASS, SKIP, FAIL])
    assert "skip ro-chat (route): skipped: no OAuth; hint: set X" in text.splitlines()
    assert text.endswith("3 smoke quer(ies): 1 passed, 1 failed, 1 skipped\n")
    assert smokereport.format_text([PASS]).endswith("1 passed, 0 failed\n")


def test_github_report_warns_about_skips() -> None:
    text = smokereport.format_github([SKIP], {"ro-chat": "endpoints/ro.yaml"})
    assert text.startswith("::warning file=endpoints/ro.yaml,title=smoke%3A ro-chat (route)::")


def test_junit_report_has_a_skipped_element() -> None:
    root = ET.fromstring(smokereport.junit_xml([PASS, SKIP, FAIL]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("skipped") == "1" and suite.get("failures") == "1"
    skipped = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("classname") for c in skipped] == ["ro-chat"]
    assert skipped[0].find("skipped").get("message") == "no OAuth; hint: set X"  # type: ignore[union-attr]
