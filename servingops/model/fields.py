"""The field registry: what each field of an endpoint file *is*, derived from the schema.

Every question "is this a secret?", "is this write-only?", "does the server add
this?" and "which config block goes with this provider?" is answered here, from
``schemas/endpoint.schema.json`` (the Terraform plugin framework's ``Sensitive``
idea: declare it once in the schema, every layer obeys):

* a property whose ``$ref`` is ``#/$defs/secret_reference`` holds a secret
  *reference* (``{{secrets/<scope>/<key>}}``): visible, never a credential itself;
* a property with ``writeOnly: true`` is never returned by GET (control-plane-api.md
  §6 quirk 1); when it also refers to ``#/$defs/plaintext_secret`` it is a
  plaintext credential;
* ``x-servingops-server-fields`` on an object lists the keys GET adds to it;
* ``x-servingops-provider`` on an ``external_model`` property names the provider
  whose config block it is.

Paths have one syntax (``format_path``): ``served_entities[gpt].external_model.
openai_config.openai_api_key`` — a served entity by its name, a list item by its
index, ``$.`` in front when it points into a file. Patterns use ``[]`` for "any item".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from servingops.schemafile import load_schema

__all__ = [
    "ENV_CREDENTIAL_NAME",
    "MASK",
    "SECRET_REFERENCE",
    "URL_PASSWORD",
    "FieldRegistry",
    "Item",
    "Sensitivity",
    "format_path",
    "is_secret_reference",
    "registry",
]

MASK = "(hidden)"
"""What is shown, logged and stored in place of a credential (the only mask string)."""

SECRET_REFERENCE = re.compile(r"\A\{\{secrets/[^/{}\s]+/[^/{}\s]+\}\}\Z")
"""A Databricks secret reference ``{{secrets/<scope>/<key>}}``, whole value, no newline."""

ANY_ITEM = "[]"
_SECRET_REF_DEF = "#/$defs/secret_reference"
_PLAINTEXT_DEF = "#/$defs/plaintext_secret"
_SERVER_FIELDS = "x-servingops-server-fields"
_PROVIDER = "x-servingops-provider"

# Names that carry credentials outside endpoint files: HTTP headers, OAuth answers,
# configuration (the transport, not the schema), and a defensive net for API fields the
# schema does not know yet. ``redact`` uses the same alternation for key=value in text.
CREDENTIAL_NAME = (
    r"[a-z0-9_-]*_plaintext|[a-z0-9_-]*api[_-]?key|[a-z0-9_-]*api[_-]?token"
    r"|[a-z0-9_-]*client[_-]?secret|[a-z0-9_-]*secret[_-]access[_-]key"
    r"|[a-z0-9_-]*(?:access|refresh|id|bearer|auth)[_-]token|[a-z0-9_-]*private[_-]key"
    r"|[a-z0-9_-]*password|token|secret|authorization|proxy-authorization|cookie|set-cookie"
)
TRANSPORT_CREDENTIALS = re.compile(rf"^(?:{CREDENTIAL_NAME})$", re.IGNORECASE)
ENV_CREDENTIAL_NAME = re.compile(
    r"(?:^|_)(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|SECRET_?KEY|PRIVATE_?KEY"
    r"|CREDENTIALS?)\Z",
    re.IGNORECASE,
)
"""Environment variable names that hold a credential by convention: the last ``_`` word
is TOKEN, PASSWORD … (``HF_TOKEN``, ``DATABRICKS_TOKEN``, ``DB_PASSWD``; not
``MAX_TOKENS``, ``TOKEN_TTL`` or ``PWD``, the working folder)."""
URL_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
"""A URL with a password in its user info (``postgres://user:pw@host``, RFC 3986 3.2.1)."""


@dataclass(frozen=True)
class Item:
    """A served entity in a path, named (rendered ``[name]``)."""

    name: str


PathPart = str | int | Item


class Sensitivity(StrEnum):
    """What a field's value is, as far as showing and storing it goes."""

    SECRET_REFERENCE = "secret_reference"
    PLAINTEXT_SECRET = "plaintext_secret"
    WRITE_ONLY = "write_only"


def format_path(parts: tuple[PathPart, ...] | list[PathPart], *, root: str = "") -> str:
    """``("served_entities", Item("gpt"), "x")`` -> ``served_entities[gpt].x``.

    Ints render as ``[0]`` (a list index), ``Item`` as ``[name]``; ``root="$"`` gives
    the JSON-path form used for places in a file (``$.served_entities[0].name``).
    """
    out = root
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, Item):
            out += f"[{part.name}]"
        else:
            out += f".{part}" if out else part
    return out


def is_secret_reference(value: Any) -> bool:
    """True for a whole ``{{secrets/<scope>/<key>}}`` string (a trailing newline is not one)."""
    return isinstance(value, str) and bool(SECRET_REFERENCE.match(value))


def _pattern(parts: tuple[PathPart, ...] | list[PathPart]) -> tuple[str, ...]:
    return tuple(ANY_ITEM if not isinstance(p, str) else p for p in parts)


@dataclass(frozen=True)
class FieldRegistry:
    """Sensitivity, server-added keys and provider blocks of every field, by path pattern.

    Patterns are tuples of keys with ``"[]"`` for any list item, e.g.
    ``("served_entities", "[]", "external_model", "openai_config", "openai_api_key")``.
    """

    sensitivity: Mapping[tuple[str, ...], Sensitivity]
    server_fields: Mapping[tuple[str, ...], frozenset[str]]
    provider_blocks: Mapping[str, str]

    def sensitivity_of(self, parts: tuple[PathPart, ...] | list[PathPart]) -> Sensitivity | None:
        """How the field at a concrete path is sensitive (None: an ordinary field)."""
        return self.sensitivity.get(_pattern(parts))

    def is_write_only(self, parts: tuple[PathPart, ...] | list[PathPart]) -> bool:
        """True when GET never returns the field (plaintext secrets, ``burst_scaling_enabled``)."""
        return self.sensitivity_of(parts) in (Sensitivity.PLAINTEXT_SECRET, Sensitivity.WRITE_ONLY)

    def is_plaintext_secret(self, parts: tuple[PathPart, ...] | list[PathPart]) -> bool:
        """True when the field holds a raw credential (``*_plaintext``)."""
        return self.sensitivity_of(parts) is Sensitivity.PLAINTEXT_SECRET

    def server_fields_of(self, parts: tuple[PathPart, ...] | list[PathPart]) -> frozenset[str]:
        """Keys the server adds to the object at ``parts`` (output-only, never declared)."""
        return self.server_fields.get(_pattern(parts), frozenset())

    @property
    def credential_names(self) -> frozenset[tuple[str, str]]:
        """``(parent, key)`` pairs of every credential field (references and plaintext)."""
        return frozenset((p[-2] if len(p) > 1 else "", p[-1]) for p in self.sensitivity)

    @property
    def secret_reference_names(self) -> frozenset[str]:
        """Leaf names of fields that hold a secret reference (``openai_api_key``, ``value``…)."""
        return frozenset(
            p[-1] for p, s in self.sensitivity.items() if s is Sensitivity.SECRET_REFERENCE
        )

    def is_credential_key(self, key: str, parent: str | None = None) -> bool:
        """True when values under ``key`` (inside ``parent``) are credentials or references.

        Schema fields are matched with their parent (a tag's ``value`` is not secret, an
        ``api_key_auth.value`` is); names from the transport (headers, OAuth) by name, and
        environment variables by ``ENV_CREDENTIAL_NAME`` (``HF_TOKEN`` set by hand).
        """
        if parent == "environment_vars" and ENV_CREDENTIAL_NAME.search(key):
            return True
        pairs = self.credential_names
        if (parent or "", key) in pairs:
            return True
        if any(k == key for _, k in pairs) and key not in _AMBIGUOUS:
            return True
        return bool(TRANSPORT_CREDENTIALS.match(key))


_AMBIGUOUS = frozenset({"value", "token"})  # credentials only under their schema parent


def build_registry(schema: Mapping[str, Any]) -> FieldRegistry:
    """Walk ``schema`` (following ``$ref``, ``allOf``, ``if/then/else``, ``items``)."""
    sensitivity: dict[tuple[str, ...], Sensitivity] = {}
    server: dict[tuple[str, ...], frozenset[str]] = {}
    providers: dict[str, str] = {}
    for path, node in _walk(schema, schema, (), frozenset()):
        kind = _classify(schema, node)
        if kind is not None:
            sensitivity.setdefault(path, kind)  # the referring node is the more specific
        if _SERVER_FIELDS in node:
            server[path] = server.get(path, frozenset()) | frozenset(node[_SERVER_FIELDS])
        if _PROVIDER in node:
            providers[str(node[_PROVIDER])] = path[-1]
    return FieldRegistry(sensitivity, server, providers)


def _classify(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Sensitivity | None:
    ref = node.get("$ref")
    if ref == _SECRET_REF_DEF:
        return Sensitivity.SECRET_REFERENCE
    target = _resolve(schema, ref) if isinstance(ref, str) else {}
    if node.get("writeOnly") or target.get("writeOnly"):
        return Sensitivity.PLAINTEXT_SECRET if ref == _PLAINTEXT_DEF else Sensitivity.WRITE_ONLY
    return None


def _resolve(schema: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    node: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    resolved: Mapping[str, Any] = node
    return resolved


def _walk(
    schema: Mapping[str, Any], node: Any, path: tuple[str, ...], seen: frozenset[str]
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Every (path pattern, schema node) reachable from ``node``; ``$ref`` cycles cut."""
    if not isinstance(node, Mapping):
        return
    yield path, node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        yield from _walk(schema, _resolve(schema, ref), path, seen | {ref})
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            yield from _walk(schema, sub, path, seen)
    for key in ("if", "then", "else"):
        yield from _walk(schema, node.get(key), path, seen)
    for name, sub in (node.get("properties") or {}).items():
        yield from _walk(schema, sub, (*path, name), seen)
    yield from _walk(schema, node.get("items"), (*path, ANY_ITEM), seen)


@lru_cache(maxsize=1)
def registry() -> FieldRegistry:
    """The registry of the packaged schema, built once per process."""
    return build_registry(load_schema())
