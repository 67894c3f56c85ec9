"""EndpointProvider with an injected HTTP client: the plane in-process, no port, no socket.

Also: the provider keeps its settings on the instance (no module state) and pickles
nothing but plain settings — no client, no credentials.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from plane.app import create_app
from plane.settings import PlaneSettings
from providers.endpoint import EndpointProvider
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs

pytestmark = pytest.mark.filterwarnings(
    "ignore:You should not use the 'timeout' argument with the TestClient"
)
REPO = Path(__file__).resolve().parents[2]
SPEC = next(s for s in load_endpoints([REPO / "endpoints"]).specs if s.name == "internal-chat")
TOKEN = "dapi-in-process-0123456789abcdef"


@pytest.fixture
def http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    settings = PlaneSettings(token=TOKEN, settle_seconds=0, pt_settle_seconds=0)
    with TestClient(create_app(tmp_path / "plane.sqlite", settings=settings)) as client:
        yield client


def _provider(http: TestClient) -> EndpointProvider:
    return EndpointProvider(http=http, settings={"host": "http://testserver", "token": TOKEN})


def _inputs(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(SPEC.raw)) | changes
    spec_input, secrets = to_inputs(EndpointSpec.from_mapping(raw, SPEC.source))
    return {"spec": spec_input, "secret_values": secrets, "source": SPEC.source}


def _gateway(http: TestClient) -> dict[str, Any]:
    detail = http.get(f"/api/2.0/serving-endpoints/{SPEC.name}", headers=_auth()).json()
    return dict(detail.get("ai_gateway") or {})


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_create_update_clear_and_delete_without_a_port(http: TestClient) -> None:
    provider = _provider(http)
    limit = [{"key": "user", "calls": 10, "renewal_period": "minute"}]
    outs = provider.create(_inputs(ai_gateway={"rate_limits": limit})).outs
    assert _gateway(http)["rate_limits"][0]["calls"] == 10
    cleared = _inputs(ai_gateway={"rate_limits": []})
    assert provider.diff(SPEC.name, outs, cleared).changes  # the clear is a change …
    outs = provider.update(SPEC.name, {**outs, **_inputs()}, cleared).outs
    assert not _gateway(http).get("rate_limits")  # … and it reaches the plane
    assert not provider.diff(SPEC.name, outs, cleared).changes
    provider.delete(SPEC.name, outs)
    assert http.get(f"/api/2.0/serving-endpoints/{SPEC.name}", headers=_auth()).status_code == 404


def test_only_plain_settings_are_pickled(http: TestClient) -> None:
    provider = _provider(http)
    restored = pickle.loads(pickle.dumps(provider))
    assert TOKEN.encode() not in pickle.dumps(provider)
    assert restored.http is None and restored.settings == {}
    assert (restored.deadline_seconds, restored.adopt) == (provider.deadline_seconds, False)


def test_settings_live_on_the_instance_not_in_the_module() -> None:
    import providers.endpoint as module

    one, two = EndpointProvider(settings={"host": "http://a"}), EndpointProvider()
    assert two.settings == {} and one.settings == {"host": "http://a"}
    state = [n for n, v in vars(module).items() if isinstance(v, dict | list | set)]
    assert [n for n in state if not n.startswith("__")] == []
