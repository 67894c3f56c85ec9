"""SQLite persistence: endpoint resources and OAuth tokens, behind one lock.

Each endpoint is one JSON document, the row of an ``EndpointResource`` (``plane.resource``:
the stored input plus server fields, write-only secrets included), so a restart on the
same file keeps every endpoint. The file is made readable by its owner only because it
holds ``*_plaintext`` secrets.

The ``meta`` table holds the file's identity: its workspace id, generated when the file
is first opened (an older file, made before the table existed, gets one then too) and
never changed afterwards, not even by ``clear()``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from plane.resource import EndpointResource
from plane.settings import generate_workspace_id

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS endpoints ("
    " name TEXT PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tokens ("
    " digest TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
WORKSPACE_ID_KEY = "workspace_id"


class Database:
    """One SQLite connection shared by all threads; callers hold ``lock`` for transactions.

    ``workspace_id`` is the id stored in the file, read (or generated) when it opens.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            os.chmod(self.path, 0o600)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        for statement in SCHEMA:
            self._conn.execute(statement)
        self.workspace_id = self._workspace_id()

    def _workspace_id(self) -> str:
        """The stored workspace id; a new or older file gets a fresh one stored first.

        ``INSERT OR IGNORE`` then ``SELECT``: two processes opening the same new file at
        once agree on the id of whichever wrote first.
        """
        with self.lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (WORKSPACE_ID_KEY, generate_workspace_id()),
            )
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = ?", (WORKSPACE_ID_KEY,)
            ).fetchone()
        return str(row[0])

    def close(self) -> None:
        """Close the connection (the file stays)."""
        with self.lock:
            self._conn.close()

    def load(self, name: str) -> EndpointResource | None:
        """Return the endpoint with that name, or None."""
        row = self._conn.execute("SELECT doc FROM endpoints WHERE name = ?", (name,)).fetchone()
        return None if row is None else _load(row[0])

    def load_by_id(self, endpoint_id: str) -> EndpointResource | None:
        """Return the endpoint with that id, or None."""
        row = self._conn.execute(
            "SELECT doc FROM endpoints WHERE id = ?", (endpoint_id,)
        ).fetchone()
        return None if row is None else _load(row[0])

    def load_all(self) -> list[EndpointResource]:
        """Return every endpoint, ordered by name."""
        rows = self._conn.execute("SELECT doc FROM endpoints ORDER BY name").fetchall()
        return [_load(row[0]) for row in rows]

    def insert(self, endpoint: EndpointResource) -> bool:
        """Insert a new endpoint; False when the name is already taken."""
        try:
            self._conn.execute(
                "INSERT INTO endpoints (name, id, doc) VALUES (?, ?, ?)",
                (endpoint.name, endpoint.id, _dump(endpoint)),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def save(self, endpoint: EndpointResource) -> None:
        """Overwrite an existing endpoint."""
        self._conn.execute(
            "UPDATE endpoints SET doc = ? WHERE name = ?", (_dump(endpoint), endpoint.name)
        )

    def delete(self, name: str) -> bool:
        """Delete an endpoint document; False when there was none."""
        cursor = self._conn.execute("DELETE FROM endpoints WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def clear(self) -> None:
        """Delete every endpoint and token (the workspace id stays)."""
        self._conn.execute("DELETE FROM endpoints")
        self._conn.execute("DELETE FROM tokens")

    def put_token(self, digest: str, principal: str, expires_at: float) -> None:
        """Remember an issued OAuth token (by digest, never the token itself)."""
        self._conn.execute(
            "INSERT OR REPLACE INTO tokens (digest, principal, expires_at) VALUES (?, ?, ?)",
            (digest, principal, expires_at),
        )

    def get_token(self, digest: str) -> tuple[str, float] | None:
        """Return ``(principal, expires_at)`` of an issued token, or None."""
        row = self._conn.execute(
            "SELECT principal, expires_at FROM tokens WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))


def _load(text: str) -> EndpointResource:
    return EndpointResource.from_row(json.loads(text))


def _dump(endpoint: EndpointResource) -> str:
    return json.dumps(endpoint.to_row(), separators=(",", ":"))
