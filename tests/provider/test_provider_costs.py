"""Provider costs (issue 13): one HTTP transport per process, validation once per content.

The client test counts ``httpx.Client`` constructions (each builds a TLS context); the
validation tests count schema passes (``servingops.schema.check_schema``) across
simulated processes (``validated.forget_process_memory``) sharing a cache folder.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from plane_testing import FakeClock as PlaneClock
from plane_testing import running_plane

import servingops.schema
from providers import connection, validated
from providers.endpoint import EndpointProvider
from providers.program import load_validated
from servingops.loader import load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs

REPO = Path(__file__).resolve().parents[2]
SPEC = next(s for s in load_endpoints([REPO / "endpoints"]).specs if s.name == "internal-chat")


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Client]]:
    """Every ``httpx.Client`` made while the test runs."""
    made: list[httpx.Client] = []
    real = httpx.Client

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    connection.close_shared()
    monkeypatch.setattr(httpx, "Client", Counted)
    yield made
    connection.close_shared()


@pytest.fixture
def schema_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The files checked against the schema, with a fresh cache folder."""
    files: list[str] = []
    real = servingops.schema.check_schema

    def counted(doc: Any, file: str) -> Any:
        files.append(file)
        return real(doc, file)

    monkeypatch.setattr(servingops.schema, "check_schema", counted)
    monkeypatch.setenv(validated.ENV_DIR, str(tmp_path / "cache"))
    validated.forget_process_memory()
    yield files
    validated.forget_process_memory()


def _inputs(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(SPEC.raw)) | changes
    spec_input, secrets = to_inputs(EndpointSpec.from_mapping(raw, SPEC.source))
    return {"spec": spec_input, "secret_values": secrets, "source": SPEC.source}


# --- one HTTP transport per process -------------------------------------------------------


def test_provider_calls_share_one_http_client(tmp_path: Path, clients: list[Any]) -> None:
    with running_plane(tmp_path, settle_seconds=0) as plane:
        plane_own = len(clients)  # the plane's forwarder has one
        settings = {"host": plane.url, "token": plane.token}
        first = EndpointProvider(settings=settings)
        second = pickle.loads(pickle.dumps(first))  # another resource's provider blob
        second.settings = dict(settings)
        outs = first.create(_inputs()).outs
        for provider in (first, second, first):
            assert provider.read(SPEC.name, outs).id == SPEC.name
        first.delete(SPEC.name, outs)
    assert len(clients) - plane_own == 1  # five calls, one TLS context and connection pool
    blob = pickle.dumps(first)
    assert plane.token.encode() not in blob and b"httpx" not in blob  # never pickled


def test_a_client_closing_leaves_the_shared_transport_open(clients: list[Any]) -> None:
    settings = {"host": "http://127.0.0.1:9", "token": "dapi-0123456789abcdef"}
    with connection.open_client(settings, None) as client:
        shared = client._http
    assert not shared.is_closed
    with connection.open_client(settings, None) as again:
        assert again._http is shared
    tuned = connection.open_client({**settings, "httpTimeoutSeconds": "5"}, None)
    assert tuned._http is not shared  # other timeouts: another transport
    assert len(clients) == 2


def test_an_injected_client_is_used_as_is(clients: list[Any]) -> None:
    injected = httpx.Client()
    settings = {"host": "http://127.0.0.1:9", "token": "dapi-0123456789abcdef"}
    with connection.open_client(settings, injected) as client:
        assert client._http is injected
    assert not injected.is_closed and clients == [injected]
    injected.close()


# --- one OAuth token per process (issue 13 follow-up) --------------------------------------

OAUTH = {"client_id": "sp-app", "client_secret": "sp-secret-value-5f2c"}
OPERATIONS = 64  # providers.server.DEFAULT_WORKERS: operations the provider runs at once


def _token_requests(plane: Any) -> int:
    with plane.client() as admin:
        counts = admin.get("/__plane/stats").json()["requests"]
    return int(counts.get("POST /oidc/v1/token", 0))


def _oauth_providers(plane: Any, n: int) -> list[EndpointProvider]:
    """``n`` providers as the engine makes them: unpickled blobs, configured per call."""
    blob = pickle.dumps(EndpointProvider())
    made = [pickle.loads(blob) for _ in range(n)]
    for provider in made:
        provider.settings = {"host": plane.url, **OAUTH}  # as ``configure`` keeps them
    return made


def _read_all(providers: list[EndpointProvider], outs: dict[str, Any]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(providers)) as pool:
        return list(pool.map(lambda p: p.read(SPEC.name, outs).id, providers))


def test_concurrent_provider_operations_fetch_one_oauth_token(
    tmp_path: Path, clients: list[Any]
) -> None:
    settings = {"settle_seconds": 0, "enforce_acl": False, **OAUTH}
    with running_plane(tmp_path, **settings) as plane:
        providers = _oauth_providers(plane, OPERATIONS)
        outs = providers[0].create(_inputs()).outs
        assert _read_all(providers, outs) == [SPEC.name] * OPERATIONS
        providers[1].delete(SPEC.name, outs)
        assert _token_requests(plane) == 1  # not one per operation
        token = next(iter(connection._AUTHS.values()))._access_token
    assert token
    for provider in providers[:2]:
        blob = pickle.dumps(provider)
        for secret in (OAUTH["client_secret"], token):
            assert secret.encode() not in blob and secret not in repr(provider)
    shown = repr(connection._AUTHS)
    assert OAUTH["client_secret"] not in shown and token not in shown


def test_a_token_the_plane_expired_is_fetched_again_once(
    tmp_path: Path, clients: list[Any]
) -> None:
    clock = PlaneClock()
    settings = {"settle_seconds": 0, "enforce_acl": False, "oauth_token_ttl_seconds": 600}
    with running_plane(tmp_path, clock=clock, **settings, **OAUTH) as plane:
        providers = _oauth_providers(plane, OPERATIONS)
        outs = providers[0].create(_inputs()).outs
        assert _token_requests(plane) == 1
        clock.advance(601)  # the plane now answers 401 for the cached token
        assert _read_all(providers, outs) == [SPEC.name] * OPERATIONS
        assert _token_requests(plane) == 2  # dropped once, fetched once, shared again
        providers[0].delete(SPEC.name, outs)


# --- validation once per content ------------------------------------------------------------


def test_check_validates_a_spec_once_across_processes(schema_passes: list[str]) -> None:
    news = _inputs()
    for _process in range(4):  # program preview/update, provider preview/update
        validated.forget_process_memory()
        result = EndpointProvider().check({"x": 1}, news)
        assert result.failures == []
    assert len(schema_passes) == 1
    changed = _inputs(description="changed")
    assert EndpointProvider().check({"x": 1}, changed).failures == []
    assert len(schema_passes) == 2  # new content: validated


def test_an_invalid_spec_is_checked_and_refused_every_time(schema_passes: list[str]) -> None:
    news = _inputs()
    news["spec"] = {**news["spec"], "tier": "no-such-tier"}
    for _ in range(2):
        failures = EndpointProvider().check({"x": 1}, news).failures
        assert failures and "tier" in failures[0].reason
    assert len(schema_passes) == 2


def test_a_new_schema_or_code_revalidates(
    schema_passes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    news = _inputs()
    EndpointProvider().check({"x": 1}, news)
    monkeypatch.setattr(validated, "fingerprint", lambda: "another-schema")
    validated.forget_process_memory()
    EndpointProvider().check({"x": 1}, news)
    assert len(schema_passes) == 2


def _folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "endpoints"
    folder.mkdir(exist_ok=True)
    for name in names:
        raw = {**dict(SPEC.raw), "name": name}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder


def test_program_validates_unchanged_files_once(schema_passes: list[str], tmp_path: Path) -> None:
    folder = _folder(tmp_path, "chat-a", "chat-b")
    runs = []
    for _process in range(3):
        validated.forget_process_memory()
        runs.append(load_validated(str(folder), allow_plaintext=False))
    assert len(schema_passes) == 2  # the two files, once
    assert all(r.ok and r.report.files == 2 for r in runs)
    assert [s.raw for s in runs[2].specs] == [s.raw for s in runs[0].specs]
    assert [s.source for s in runs[2].specs] == [s.source for s in runs[0].specs]
    (folder / "chat-b.yaml").write_text((folder / "chat-b.yaml").read_text() + "\n# edit\n")
    load_validated(str(folder), allow_plaintext=False)
    assert len(schema_passes) == 4  # a changed folder is validated again, whole


def test_program_shows_findings_every_run(schema_passes: list[str], tmp_path: Path) -> None:
    folder = _folder(tmp_path, "chat-a")
    path = folder / "chat-a.yaml"
    path.write_text(path.read_text().replace("tier:", "tierr:", 1))
    for _ in range(2):
        result = load_validated(str(folder), allow_plaintext=False)
        assert not result.ok and result.report.errors[0].file == str(path)
    assert len(schema_passes) == 2


def test_the_cache_holds_no_content(schema_passes: list[str], tmp_path: Path) -> None:
    folder = _folder(tmp_path, "chat-a")
    load_validated(str(folder), allow_plaintext=False)
    EndpointProvider().check({"x": 1}, _inputs())
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 2 and all(e.stat().st_size == 0 for e in entries)


def test_the_cache_can_be_turned_off(schema_passes: list[str], monkeypatch: Any) -> None:
    monkeypatch.setenv(validated.ENV_DIR, "off")
    for _ in range(2):
        validated.forget_process_memory()
        EndpointProvider().check({"x": 1}, _inputs())
    assert len(schema_passes) == 2


def test_a_warm_cache_keeps_the_trust_boundary(schema_passes: list[str], tmp_path: Path) -> None:
    """A file swapped for a symlink to the same bytes after a clean run is still refused:
    the cached path reads through ``servingops.sourcefile`` like the full load."""
    folder = _folder(tmp_path, "chat-a")
    path = folder / "chat-a.yaml"
    assert load_validated(str(folder), allow_plaintext=False).ok
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    validated.forget_process_memory()
    result = load_validated(str(folder), allow_plaintext=False)
    assert not result.ok and not result.specs
    assert "symbolic link" in result.report.errors[0].message
