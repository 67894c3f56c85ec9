"""Workspace identity: an id stored in the SQLite file, sent as ``x-databricks-org-id``."""

from __future__ import annotations

import sqlite3

import pytest
from plane_payloads import API, chat_endpoint
from plane_testing import running_plane
from starlette.testclient import TestClient

from plane.app import create_app
from plane.db import Database
from plane.server import bind, parse_args, settings_from
from plane.settings import PlaneSettings

HEADER = "x-databricks-org-id"
FIXED = "1234567890123456"
CHAT = {"messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 8}
PPT = "databricks-meta-llama-3-3-70b-instruct"
OLD_SCHEMA = """
CREATE TABLE endpoints (name TEXT PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
CREATE TABLE tokens (digest TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_at REAL NOT NULL);
"""


def _stored_id(path) -> str:
    """The workspace id a fresh ``Database`` reads from ``path`` (then closed)."""
    db = Database(path)
    try:
        return db.workspace_id
    finally:
        db.close()


# -- the id belongs to the database ------------------------------------------------


def test_a_new_database_gets_16_random_digits(tmp_path):
    workspace_id = _stored_id(tmp_path / "a.sqlite")
    assert len(workspace_id) == 16 and workspace_id.isdigit() and workspace_id[0] != "0"


def test_two_databases_get_different_ids(tmp_path):
    assert _stored_id(tmp_path / "a.sqlite") != _stored_id(tmp_path / "b.sqlite")


def test_reopening_a_database_reads_the_same_id(tmp_path):
    first = _stored_id(tmp_path / "a.sqlite")
    assert _stored_id(tmp_path / "a.sqlite") == first


def test_an_older_file_without_the_id_gets_one_and_keeps_its_endpoints(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute("INSERT INTO tokens VALUES ('digest', 'sp', 1e12)")
    conn.close()
    db = Database(path)
    try:
        assert db.workspace_id.isdigit() and len(db.workspace_id) == 16
        assert db.get_token("digest") == ("sp", 1e12)
    finally:
        db.close()
    assert _stored_id(path) == db.workspace_id


def test_clearing_the_database_keeps_the_id(tmp_path):
    db = Database(tmp_path / "a.sqlite")
    try:
        db.clear()
    finally:
        db.close()
    assert _stored_id(tmp_path / "a.sqlite") == db.workspace_id


def test_restart_on_another_port_keeps_the_workspace_id(tmp_path):
    with running_plane(tmp_path) as plane, plane.client() as client:
        first_url, first = plane.url, client.get(API).headers[HEADER]
    port = int(first_url.rsplit(":", 1)[1])
    with bind("127.0.0.1", port) as blocker, running_plane(tmp_path) as plane:
        assert blocker.getsockname()[1] == port and plane.url != first_url
        with plane.client() as client:
            second = client.get(API).headers[HEADER]
    assert second == first == plane.workspace_id


def test_two_servers_on_two_databases_announce_different_ids(tmp_path):
    with (
        running_plane(tmp_path / "a") as a,
        running_plane(tmp_path / "b") as b,
        a.client() as client_a,
        b.client() as client_b,
    ):
        id_a = client_a.get(API).headers[HEADER]
        id_b = client_b.get(API).headers[HEADER]
    assert id_a != id_b
    assert (id_a, id_b) == (a.workspace_id, b.workspace_id)


# -- the header on every answer ------------------------------------------------------


def test_header_on_a_get(api):
    r = api.get(API)
    assert r.status_code == 200
    assert r.headers[HEADER] == api.plane.workspace_id


def test_header_on_a_404(api):
    r = api.get(f"{API}/missing")
    assert r.status_code == 404
    assert r.headers[HEADER] == api.plane.workspace_id


def test_header_on_an_unknown_route_and_a_401(api):
    assert api.get("/api/2.0/no-such-api").headers[HEADER] == api.plane.workspace_id
    r = api.client.get(API, headers={"Authorization": ""})
    assert r.status_code == 401
    assert r.headers[HEADER] == api.plane.workspace_id


def test_header_on_an_injected_fault(api):
    api.post("/__plane/faults", {"route": f"GET {API}", "status": 503})
    r = api.get(API)
    assert r.status_code == 503
    assert r.headers[HEADER] == api.plane.workspace_id


def test_header_on_query_answers(api):
    r = api.post(f"/serving-endpoints/{PPT}/invocations", CHAT)
    assert r.status_code == 200
    assert r.headers[HEADER] == api.plane.workspace_id
    r = api.post("/serving-endpoints/chat/completions", {"model": PPT, **CHAT})
    assert r.status_code == 200
    assert r.headers[HEADER] == api.plane.workspace_id


def test_header_on_a_query_error(api):
    api.post(API, chat_endpoint())
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert r.status_code == 400
    assert r.headers[HEADER] == api.plane.workspace_id


def test_well_known_config_reports_the_same_id(api):
    r = api.client.get("/.well-known/databricks-config", headers={"Authorization": ""})
    assert r.json()["workspace_id"] == r.headers[HEADER] == api.plane.workspace_id


def test_header_on_an_unexpected_500(tmp_path, monkeypatch):
    with running_plane(tmp_path) as plane, plane.client() as client:

        def broken(name: str) -> dict:
            raise RuntimeError("bug")

        monkeypatch.setattr(plane.store, "get_endpoint", broken)
        r = client.get(f"{API}/x")
    assert r.status_code == 500
    assert r.headers[HEADER] == plane.workspace_id


def test_reset_keeps_the_id(api):
    before = api.get(API).headers[HEADER]
    api.post("/__plane/reset")
    assert api.get(API).headers[HEADER] == before


# -- an explicit id wins ---------------------------------------------------------------


def test_setting_overrides_the_stored_id(make_api):
    api = make_api(workspace_id=FIXED)
    assert api.get(f"{API}/missing").headers[HEADER] == FIXED
    config = api.client.get("/.well-known/databricks-config").json()
    assert config["workspace_id"] == FIXED


def test_override_does_not_replace_the_stored_id(tmp_path):
    path = tmp_path / "plane.sqlite"
    app = create_app(path, settings=PlaneSettings(workspace_id=FIXED))
    with TestClient(app) as client:
        assert client.get("/.well-known/databricks-config").headers[HEADER] == FIXED
    app.state.plane.store.db.close()
    assert _stored_id(path) not in ("", FIXED)


@pytest.mark.parametrize("bad", ["", "abc", "0123", "12 34", "1" * 19, "１２"])
def test_settings_reject_a_malformed_workspace_id(bad):
    with pytest.raises(ValueError, match="workspace_id must be"):
        PlaneSettings(workspace_id=bad)


def test_workspace_id_flag(capsys):
    assert settings_from(parse_args([])).workspace_id is None
    assert settings_from(parse_args(["--workspace-id", FIXED])).workspace_id == FIXED
    with pytest.raises(SystemExit) as exc:
        parse_args(["--workspace-id", "ws-1"])
    assert exc.value.code == 2
    assert "workspace_id must be" in capsys.readouterr().err
