"""Parse one YAML document into plain data plus the source position of every node.

PyYAML's libyaml composer gives node marks at C speed; we build the Python values
ourselves so that we can (a) record ``path -> (line, col)`` for diagnostics,
(b) refuse duplicate keys (YAML 1.2 forbids them, PyYAML silently keeps the last),
and (c) cap alias expansion, so an alias bomb fails fast instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 64
MAX_INT_BITS = 256
"""Integers wider than this are refused while parsing: the API's are 32 or 64 bits, and
Python cannot print one of more than 4,300 digits (a message quoting it would fail)."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


@dataclass(frozen=True)
class Position:
    """1-based line and column of a node in its file."""

    line: int
    col: int


@dataclass
class YamlDoc:
    """A parsed document: its value and where each path starts (value and key marks)."""

    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    written: dict[Path, str] = field(default_factory=dict)
    """The source text of plain scalars YAML read as numbers or booleans (``0123`` is 83)."""

    def where(self, path: Path, *, key: bool = False) -> Position:
        """Position of ``path`` (its key if asked and known), else its nearest ancestor."""
        for depth in range(len(path), -1, -1):
            sub = path[:depth]
            if key and depth == len(path) and sub in self.keys:
                return self.keys[sub]
            if sub in self.values:
                return self.values[sub]
        return Position(1, 1)


class YamlProblem(Exception):
    """Raised when a file is not a usable YAML document; carries a position and hint."""

    def __init__(self, message: str, pos: Position, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.hint = hint


ENDPOINT_SHAPE_HINT = "an endpoint file is a mapping with at least name, tier and task"


def parse_yaml(text: str, *, empty_hint: str = ENDPOINT_SHAPE_HINT) -> YamlDoc:
    """Parse exactly one YAML document from ``text``; raise YamlProblem otherwise
    (``empty_hint`` is the hint when there is no content: what the file should hold)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise too_large(size)
    node = _compose(text)
    if node is None:
        raise YamlProblem(
            "file has no YAML content",
            Position(1, 1),
            empty_hint,
        )
    doc = YamlDoc(data=None)
    doc.data = _Builder(doc).build(node, ())
    return doc


def too_large(size: int) -> YamlProblem:
    """The refusal of a file of ``size`` bytes (over ``MAX_FILE_BYTES``), in bytes: at the
    edge, "1.0 MB; the limit is 1 MB" read as within the limit."""
    return YamlProblem(
        f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes, 1 MiB)",
        Position(1, 1),
        "an endpoint file describes one endpoint; split or trim it",
    )


def _compose(text: str) -> yaml.Node | None:
    try:
        _refuse_deep_nesting(text)
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as err:
        raise _problem_from(err, text) from None
    except yaml.reader.ReaderError as err:
        raise YamlProblem(
            f"not valid YAML: {err.reason} (character {err.character!r})",
            _offset_position(text, err.position),
            "remove control characters; YAML files must be printable UTF-8",
        ) from None
    except yaml.YAMLError as err:
        raise YamlProblem(f"not valid YAML: {err}", Position(1, 1)) from None
    nodes = [n for n in nodes if not _is_empty_document(n)]
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise YamlProblem(
            "file holds more than one YAML document",
            Position(mark.line + 1, mark.column + 1),
            "one endpoint per file; move the second document to its own file",
        )
    return nodes[0] if nodes else None


def _refuse_deep_nesting(text: str) -> None:
    """Raise YamlProblem at the first collection nested deeper than ``MAX_DEPTH``.

    libyaml's composer recurses on the C stack: 30,000 nested ``[`` (60 KB, well under
    the size cap) crash the process with SIGSEGV. Its event parser keeps its own stack,
    so the depth is checked on the events first, stopping at the first one too deep.
    A syntax error is left to the composer, which reports it the same way as before.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:  # the root collection is depth 1, path ()
                raise _too_deep(_mark_position(event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _mark_position(mark: Any) -> Position:
    """1-based position of a PyYAML or libyaml mark (either has ``line``/``column``)."""
    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)


def _too_deep(pos: Position) -> YamlProblem:
    return YamlProblem(
        f"document is nested more than {MAX_DEPTH} levels deep",
        pos,
        "an endpoint file is at most a few levels deep; check the indentation",
    )


def _is_empty_document(node: yaml.Node) -> bool:
    """A document with no content at all (a bare ``---``), not an explicit ``null``/``~``."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:null"
        and node.value == ""
    )


def _problem_from(err: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    mark = err.problem_mark or err.context_mark
    what = " ".join(p for p in (err.context, err.problem) if p)
    hint = ""
    if err.context == "while scanning a quoted scalar" and err.context_mark is not None:
        mark = err.context_mark  # where the quote opens, not where the file ends
        hint = "the quote that starts here is never closed"
    elif mark is not None and (quote := _runaway_quote(text, mark)) is not None:
        stopped = f"line {mark.line + 1}, column {mark.column + 1}"
        hint = (
            f"the quote that starts here runs on to line {quote.end_mark.line + 1}: "
            f"is a closing quote missing? (the parser stopped at {stopped})"
        )
        mark = quote.start_mark
    pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        hint = "YAML indentation must use spaces, not tabs"
    return YamlProblem(f"YAML syntax error: {what}", pos, hint)


def _runaway_quote(text: str, error: yaml.Mark) -> yaml.ScalarToken | None:
    """A quoted scalar spanning several lines that ends on the line where parsing failed.

    A quote left open on one line silently swallows the lines after it up to the next
    quote character, and the parser fails right after that one. Pointing at the
    opening quote is what the user needs; a multi-line quote that ends on another line
    is not blamed.
    """
    found: yaml.ScalarToken | None = None
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if token.start_mark.index >= error.index:
                break
            if isinstance(token, yaml.ScalarToken) and _is_multiline_quote(token):
                found = token
    except yaml.YAMLError:
        pass  # the same error the composer reported; tokens before it are what we need
    return found if found is not None and found.end_mark.line == error.line else None


def _is_multiline_quote(token: yaml.ScalarToken) -> bool:
    return token.style in ("'", '"') and token.start_mark.line != token.end_mark.line


def _offset_position(text: str, offset: int) -> Position:
    before = text[:offset]
    return Position(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


class _Builder:
    """Turns a composed node graph into Python values, recording positions.

    Every node built and every key/value pair a merge key (``<<``) copies counts toward
    ``MAX_NODES``, so neither an alias bomb nor a merge-chain bomb (each mapping
    merging the previous one twice) can take exponential time or memory.
    """

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.count = 0
        self.open: set[int] = set()
        """Mappings being built: a merge of one of them would merge a mapping into itself."""
        self.expanded: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}
        """Merge expansion of each mapping, computed once (a merge chain stays linear)."""

    def _spend(self, node: yaml.Node) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(
                f"document expands to more than {MAX_NODES} nodes",
                _pos(node),
                "aliases (*ref) and merge keys (<<) that expand exponentially are refused",
            )

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._spend(node)
        if len(path) > MAX_DEPTH:
            raise _too_deep(_pos(node))
        self.doc.values.setdefault(path, _pos(node))
        if node.tag not in _STANDARD_TAGS:
            raise YamlProblem(
                f"unsupported YAML tag '{node.tag}'",
                _pos(node),
                "endpoint files use plain YAML: strings, numbers, booleans, lists, mappings",
            )
        if isinstance(node, yaml.MappingNode):
            self.open.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self.open.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = _scalar(node)
        if not isinstance(value, str) and value is not None:
            self.doc.written.setdefault(path, str(node.value))
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in self._merged_pairs(node, frozenset()):
            key = self._key(key_node)
            if key in out:
                shown = key if len(key) <= 60 else key[:59] + "…"
                raise YamlProblem(
                    f"duplicate key '{shown}'",
                    _pos(key_node),
                    f"'{shown}' is already set at line {self.doc.keys[(*path, key)].line}",
                )
            self.doc.keys[(*path, key)] = _pos(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlProblem("mapping keys must be plain strings", _pos(node))
        value = _scalar(node)
        return value if isinstance(value, str) else str(node.value)

    def _merged_pairs(
        self, node: yaml.MappingNode, expanding: frozenset[int]
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        """Key/value node pairs with YAML merge keys (``<<: *base``) expanded, local keys last.

        The merge-key spec (https://yaml.org/type/merge.html): keys written in the mapping
        override merged ones, and with a list of sources ``<<: [*a, *b]`` the first source
        that has a key wins. Duplicates among the mapping's own keys are still refused,
        and so is a merge of a mapping into itself (``a: &a {<<: *a}``): ``expanding`` holds
        the mappings whose merges are being expanded.
        """
        if id(node) in self.expanded:
            return self.expanded[id(node)]
        inside = expanding | {id(node)}
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        merged: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        seen_merge = False
        for key, value in node.value:
            if key.tag != "tag:yaml.org,2002:merge":
                pairs.append((key, value))
                continue
            if seen_merge:  # databricks/cli#5182: a second << panicked the bundle loader
                raise YamlProblem(
                    "duplicate key '<<'",
                    _pos(key),
                    "merge several mappings with one key and a list: <<: [*first, *second]",
                )
            seen_merge = True
            for src in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                for k, v in self._source_pairs(key, src, inside):
                    self._spend(key)
                    merged.setdefault(_merge_id(k), (k, v))
        own = {_merge_id(k) for k, _ in pairs}
        self.expanded[id(node)] = [kv for i, kv in merged.items() if i not in own] + pairs
        return self.expanded[id(node)]

    def _source_pairs(
        self, key: yaml.Node, src: yaml.Node, inside: frozenset[int]
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        """The pairs one merge source gives; refused unless it is a mapping outside ``inside``."""
        if not isinstance(src, yaml.MappingNode):
            raise YamlProblem("a merge key (<<) must point at a mapping", _pos(src))
        if id(src) in inside or id(src) in self.open:
            raise YamlProblem(
                "a merge key (<<) points at a mapping that contains it",
                _pos(key),
                "merge a separate anchored mapping (base: &base {...}), not an enclosing one",
            )
        return self._merged_pairs(src, inside)


def _merge_id(node: yaml.Node) -> Any:
    """What makes two keys the same key for merging (tag and text of a scalar)."""
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else id(node)


def _scalar(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)  # keep dates as written; no field of ours is a date
    try:
        value = _constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as err:
        raise YamlProblem(f"unsupported YAML value: {err.problem}", _pos(node)) from None
    except (ValueError, OverflowError) as err:
        if node.tag == "tag:yaml.org,2002:int":  # Python reads at most 4,300 decimal digits
            raise _too_long(node) from None
        raise YamlProblem(f"unreadable YAML value: {err}", _pos(node)) from None
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _too_long(node)  # 0xfff… has no digit limit, but cannot be printed back
    return value


def _too_long(node: yaml.Node) -> YamlProblem:
    return YamlProblem(
        f"integer is too long to read ({len(str(node.value))} characters)",
        _pos(node),
        "the API's integers are 32-bit or 64-bit (at most 19 digits)",
    )


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)
