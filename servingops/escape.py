"""Escape user text (keys, values, paths, file names) for each output format: one function each.

Anything a pull request can put in an endpoint file or its name may be echoed in a
finding. Unescaped, a key holding a line break can forge a whole finding line
(``other.yaml:1:1: error: …``) that editors and CI annotate, an ANSI sequence can
rewrite the terminal, and a ``|`` or backtick can break out of a Markdown table cell.

* ``for_text``: control characters (C0, DEL, C1), zero-width and bidirectional format
  characters, line/paragraph separators, surrogates, private-use and unassigned code
  points, and invisible letters and marks (Hangul fillers, variation selectors) become
  visible escapes (``\\n``, ``\\x1b``, ``\\u200b``, ``\\u202e``).
  Every other format starts from it, so no format ever prints a raw control character.
* ``for_text_file``: a file name in the text format's ``file:line:col`` column, with
  ``:`` escaped too, so a name cannot move a finding to another file or line.
* ``for_json``: ``for_text`` on every string of a JSON-able value (keys included), so a
  consumer that prints a decoded message is as safe as the text format.
* ``for_github_message`` / ``for_github_property``: GitHub workflow-command encoding
  (``%``, CR, LF; properties also ``:`` and ``,``) on top of ``for_text``.
* ``for_markdown_code``: a CommonMark code span that contains ``text`` verbatim (fence
  longer than any backtick run inside) with ``|`` escaped for GFM table cells.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = [
    "for_github_message",
    "for_github_property",
    "for_json",
    "for_markdown_code",
    "for_text",
    "for_text_file",
]

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (zero-width, bidi), surrogate, private-use, unassigned, line/paragraph
separators: invisible or layout-changing, so never printed raw."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
"""Unicode's default-ignorable code points (DerivedCoreProperties.txt) that are letters or
marks, not format characters: Hangul fillers, variation selectors, the combining
grapheme joiner. They print as nothing, so ``tier<U+3164>`` would read as ``tier``."""


def _visible(char: str) -> str:
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES and not _INVISIBLE.match(char):
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def for_text(text: str) -> str:
    """``text`` with every invisible or layout-changing character shown as an escape."""
    if text.isprintable() and not _INVISIBLE.search(text):
        return text
    return "".join(_visible(c) for c in text)


def for_text_file(path: str) -> str:
    """A file name in the ``file:line:col:`` column: ``for_text`` and ``:`` as ``\\x3a``.

    Git allows ``:`` in file names, and ``x.yaml:9:1: error: ok [y] z.yaml`` printed raw
    makes editors and CI problem matchers place the finding at ``x.yaml`` line 9.
    """
    return for_text(path).replace(":", "\\x3a")


def for_json(value: Any) -> Any:
    """A copy of ``value`` with ``for_text`` applied to every string (keys and values)."""
    if isinstance(value, str):
        return for_text(value)
    if isinstance(value, dict):
        return {for_json(k): for_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [for_json(v) for v in value]
    return value


def for_github_message(text: str) -> str:
    """The message part of ``::error …::message`` (GitHub's workflow-command encoding)."""
    return for_text(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def for_github_lines(lines: list[str]) -> str:
    """Several lines as one workflow-command message: each line escaped as by
    ``for_github_message`` (a line break inside a line shows as ``\\n``), joined by
    ``%0A``, which GitHub shows as a line break but cannot start a new command."""
    return "%0A".join(for_github_message(line) for line in lines)


def for_github_property(text: str) -> str:
    """A property value of a workflow command (``file=``, ``title=``): also ``:`` and ``,``."""
    return for_github_message(text).replace(":", "%3A").replace(",", "%2C")


def for_markdown_code(text: str) -> str:
    """``text`` as an inline code span that is safe inside a GFM table cell."""
    safe = for_text(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", safe)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if safe.startswith("`") or safe.endswith("`") or not safe.strip() else ""
    return f"{fence}{pad}{safe}{pad}{fence}"
