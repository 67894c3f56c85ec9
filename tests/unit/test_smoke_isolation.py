"""One endpoint's broken answer fails that endpoint's smoke query, not the whole run.

A hostile or broken upstream (a proxy answering ``Content-Encoding: gzip`` with a body
that is not gzip) made httpx raise while reading the answer; the client turned that
into a ``ServerError`` that ``run_smoke_all`` re-raised, so ``servingops smoke`` exited 1
and the other endpoints' outcomes (and the JUnit file) were lost.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient
from servingops.model import EndpointSpec
from servingops.smoke import run_smoke_all

CHAT_OK = {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}


def _spec(name: str) -> EndpointSpec:
    raw: dict[str, Any] = {
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
    }
    return EndpointSpec.from_mapping(copy.deepcopy(raw))


def _answer(request: httpx.Request) -> httpx.Response:
    if "/broken/" in request.url.path:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, content=b"this is not gzip")
    return httpx.Response(200, json=CHAT_OK)


def test_an_unreadable_answer_fails_only_its_own_endpoint() -> None:
    http = httpx.Client(transport=httpx.MockTransport(_answer))
    with ControlPlaneClient("http://plane.test", BearerToken("t0ken-value"), http=http) as client:
        runs = run_smoke_all(client, [_spec("broken"), _spec("fine")], jobs=2)
    broken, fine = (run[0] for run in runs)
    assert fine.ok
    assert not broken.ok
    assert broken.tries == 1  # an answer came back: it is judged, not re-sent
    assert "unreadable answer" in broken.problem
    assert "DecodingError" in broken.problem
