"""Validate once per content: a cache of inputs already found clean, shared by processes.

One ``pulumi up`` starts the program twice (preview, then update) and the provider
process twice, and the provider's ``check`` validates every resource again: four schema
and rule passes per file per run (issue 13). This module remembers, on disk, which
inputs were validated *clean* (no error, no warning) by this exact code, schema and
catalogue, so a run over unchanged files validates nothing.

A key is the SHA-256 of: a kind (``files`` or ``spec``), the ``fingerprint`` (the bytes
of every source file of ``servingops``, ``servingcatalogue`` and the JSON Schema, so any
change to code, rules, catalogue or schema invalidates everything), the options that
change the outcome (``allow_plaintext``), and the content (the file paths and bytes, or
the canonical JSON of a spec). An entry is an empty file named by its key under
``<cwd>/.servingops/validated/`` (or ``$SERVINGOPS_VALIDATION_CACHE``); it holds no
content, so nothing secret is written. Only clean results are stored: a file with any
finding is validated, and its findings shown, on every run. Errors reading or writing the
cache are ignored (the inputs are validated as if it were empty).
``SERVINGOPS_VALIDATION_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

ENV_DIR = "SERVINGOPS_VALIDATION_CACHE"
"""The cache folder; ``off`` disables the cache."""
MAX_ENTRIES = 20_000
"""Past this many entries the folder is emptied (entries are 0 bytes; this bounds inodes)."""

_PACKAGES = ("servingops", "servingcatalogue")
_SUFFIXES = (".py", ".yaml", ".json")
_seen: set[str] = set()
_seen_lock = threading.Lock()
_size_checked: list[Path] = []  # folders whose size this process has bounded


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """SHA-256 over every source file that decides validity (code, catalogue, schema)."""
    import servingops
    from servingops.schemafile import SCHEMA_PATH

    digest = hashlib.sha256()
    roots = [Path(servingops.__file__).resolve().parents[1] / name for name in _PACKAGES]
    files = sorted(p for root in roots for p in root.rglob("*") if p.suffix in _SUFFIXES)
    for path in [*files, SCHEMA_PATH]:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    configured = os.environ.get(ENV_DIR, "")
    if configured.lower() == "off":
        return None
    return Path(configured) if configured else Path.cwd() / ".servingops" / "validated"


def texts_key(texts: Mapping[Path, str], *, allow_plaintext: bool) -> str:
    """The key of a set of endpoint files: their paths and the text read from each
    (read through ``servingops.sourcefile``, the loader's trust boundary)."""
    digest = _start("files", allow_plaintext)
    for path in sorted(texts):
        digest.update(str(path).encode() + b"\0" + texts[path].encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def spec_key(spec: Any, source: str, *, allow_plaintext: bool) -> str:
    """The key of an in-memory spec (canonical JSON) checked as ``source``."""
    digest = _start("spec", allow_plaintext)
    text = json.dumps([source, spec], sort_keys=True, separators=(",", ":"), default=repr)
    digest.update(text.encode())
    return digest.hexdigest()


def is_clean(key: str | None) -> bool:
    """True when ``key`` was recorded clean by this code (in this process or on disk)."""
    folder = cache_dir()
    if key is None or folder is None:
        return False
    with _seen_lock:
        if key in _seen:
            return True
    if not (folder / key).is_file():
        return False
    with _seen_lock:
        _seen.add(key)
    return True


def mark_clean(key: str | None) -> None:
    """Record ``key`` as validated clean (best effort: a read-only folder just misses)."""
    folder = cache_dir()
    if key is None or folder is None:
        return
    with _seen_lock:
        _seen.add(key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder not in _size_checked:  # once per process: a scan costs O(entries)
            _size_checked.append(folder)
            if _too_many(folder):
                for entry in folder.iterdir():
                    entry.unlink(missing_ok=True)
        (folder / key).touch()
    except OSError:
        pass


def forget_process_memory() -> None:
    """Drop what this process remembers (tests model a fresh process with it)."""
    with _seen_lock:
        _seen.clear()


def _start(kind: str, allow_plaintext: bool) -> hashlib._Hash:
    digest = hashlib.sha256()
    digest.update(f"{kind}\0{fingerprint()}\0{int(allow_plaintext)}\0".encode())
    return digest


def _too_many(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return sum(1 for _ in entries) >= MAX_ENTRIES
    except OSError:
        return False
