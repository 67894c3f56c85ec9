"""The trust boundary for endpoint files: which files are read, and reading one safely.

Endpoint files arrive in pull requests, and ``validate`` runs on them in CI, so a file
is untrusted input. The policy (README, "What servingops refuses to read"):

* Only **regular files** are read. A **symlink** is refused wherever it points, even at a
  file inside the folder: a committed link to ``/etc/passwd`` or a secret file would
  otherwise have its content quoted in findings, and a link to ``/dev/zero`` reads
  until memory runs out. Symlinked folders are not followed, and that includes the
  folder named on the command line: a pull request can replace ``endpoints/`` itself
  by a link to ``~/.config``. Every component of a path inside the working folder (a
  relative path, as CI passes them) is checked, and the last component of any other
  path. Devices, FIFOs, sockets
  and folders named ``*.yaml`` are refused without being opened.
* In a folder, files ending in ``.yaml`` or ``.yml`` (lower case) are read; another
  spelling (``chat.YAML``, ``chat.Yml``) is a finding, not a silent skip, since the
  file would drop out of review and deployment. Other files are ignored and counted.
  A file named on the command line is read whatever its suffix.
* At most ``MAX_FILE_BYTES`` (1 MiB) are read; a larger file is refused.
* **UTF-8 only**, with or without a byte-order mark (YAML 1.2 allows one). UTF-16/32
  text and files with NUL bytes are refused with a hint to save as UTF-8.

A refused file's content is never read or echoed: the finding names the file, the
reason and a hint.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from servingops.yamlsrc import MAX_FILE_BYTES, Position, YamlProblem, too_large

__all__ = ["SUFFIXES", "FileSearch", "Refusal", "find_sources", "read_source"]

SUFFIXES = (".yaml", ".yml")
_BOMS = {
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\xfe\xff": "UTF-16",
    b"\xff\xfe": "UTF-16",
}
_UTF8_BOM = b"\xef\xbb\xbf"
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class Refusal:
    """A file the loader will not read: why, and what to do about it."""

    path: Path
    reason: str
    hint: str


@dataclass
class FileSearch:
    """What a search found: files to read, files refused, and how many others it ignored."""

    files: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    ignored: int = 0
    missing: list[Path] = field(default_factory=list)


def find_sources(paths: Iterable[str | Path]) -> FileSearch:
    """Endpoint files under ``paths``: files as given, folders searched (no symlinks)."""
    found = FileSearch()
    for raw in paths:
        path = Path(raw)
        link = _linked_part(path)
        if link is not None:
            found.refused.append(_symlink(link))
        elif path.is_dir():
            _search_folder(path, found)
        elif os.path.lexists(path):
            _take(path, found, named=True)
        else:
            found.missing.append(path)
    found.files.sort()
    found.refused.sort(key=lambda r: r.path)
    return found


def _linked_part(path: Path) -> Path | None:
    """The first component of ``path`` that is a symbolic link, or None.

    Checked: every component of a relative path or of an absolute path under the
    working folder (the checkout a pull request controls), else the last component
    only (a system path such as macOS's ``/tmp`` may be a link the operator chose).
    """
    base, rest = Path(), path
    if path.is_absolute():
        try:
            base, rest = Path.cwd(), path.relative_to(Path.cwd())
        except ValueError:
            return path if path.is_symlink() else None
    for part in rest.parts:
        base = base / part
        if base.is_symlink():
            return base
    return None


def _search_folder(root: Path, found: FileSearch) -> None:
    """Every entry under ``root``, with a stack rather than ``os.walk``: ``os.walk`` recurses
    once per level, and 1,500 nested folders (a path git can hold) raised RecursionError."""
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as err:  # an unreadable folder is a finding, not a silent skip
            where = Path(err.filename or folder)
            found.refused.append(Refusal(where, f"cannot read folder: {err.strerror}", ""))
            continue
        for entry in entries:
            _visit(entry, found, pending)


def _visit(entry: os.DirEntry[str], found: FileSearch, pending: list[Path]) -> None:
    """Sort one folder entry: a folder to search, a refusal, an ignored file, or a file."""
    path = Path(entry.path)
    if _is_folder(entry):
        if entry.is_symlink():
            found.refused.append(_symlink(path))
            return
        if _suffix_kind(entry.name) != "other":
            found.refused.append(_not_regular(path, "a folder"))
        pending.append(path)
    elif _suffix_kind(entry.name) == "other":
        found.ignored += 1
    else:
        _take(path, found, named=False)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one (as ``os.walk`` lists it); False when it cannot be told."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _take(path: Path, found: FileSearch, *, named: bool) -> None:
    """Keep ``path`` if it is a regular file with a readable name, else record why not."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as err:  # removed or unreadable between listing and lstat
        found.refused.append(Refusal(path, f"cannot read file: {err.strerror}", ""))
        return
    if stat.S_ISLNK(mode):
        found.refused.append(_symlink(path))
    elif not stat.S_ISREG(mode):
        found.refused.append(_not_regular(path, _kind(mode)))
    elif not named and _suffix_kind(path.name) == "case":
        found.refused.append(
            Refusal(
                path,
                f"file name ends in '{path.suffix}': only lower-case .yaml and .yml files are read",
                f"rename it to {path.stem}{path.suffix.lower()} so it is reviewed and deployed",
            )
        )
    else:
        found.files.append(path)


def _suffix_kind(name: str) -> str:
    """``read`` for ``x.yaml``/``x.yml``, ``case`` for ``x.YAML``, ``other`` otherwise."""
    suffix = Path(name).suffix
    if suffix in SUFFIXES:
        return "read"
    return "case" if suffix.lower() in SUFFIXES else "other"


def _symlink(path: Path) -> Refusal:
    return Refusal(
        path,
        "symbolic links are not read, wherever they point",
        "commit the endpoint file itself; a link could expose files outside the folder",
    )


def _not_regular(path: Path, kind: str) -> Refusal:
    return Refusal(path, f"not a regular file ({kind})", "endpoint files are plain text files")


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_source(path: Path) -> str:
    """The text of the regular file ``path`` (UTF-8, BOM dropped); raise YamlProblem if refused.

    Opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat`` on the open file,
    so a file swapped for a symlink or a FIFO after the search is still refused; a
    linked folder on the way (``overlays/`` as a link) is refused as in ``find_sources``.
    """
    if _linked_part(path) is not None:
        raise _symlink_problem()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise _unreadable(err) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            raise YamlProblem(f"not a regular file ({_kind(mode)})", Position(1, 1))
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise too_large(max(info.st_size, len(data)))
    return decode_source(data)


def _symlink_problem() -> YamlProblem:
    refusal = _symlink(Path())
    return YamlProblem(refusal.reason, Position(1, 1), refusal.hint)


def _unreadable(err: OSError) -> YamlProblem:
    if err.errno == errno.ELOOP:
        return _symlink_problem()
    return YamlProblem(f"cannot read file: {err.strerror}", Position(1, 1))


def decode_source(data: bytes) -> str:
    """UTF-8 text of ``data`` without its BOM; UTF-16/32 and NUL bytes are refused."""
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise YamlProblem(
                f"file is {name} text; only UTF-8 is read", Position(1, 1), "save it as UTF-8"
            )
    data = data.removeprefix(_UTF8_BOM)
    if b"\x00" in data:
        raise YamlProblem(
            "file contains NUL bytes (binary, or UTF-16 without a byte-order mark)",
            _byte_position(data, data.index(b"\x00")),
            "save it as UTF-8 text",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        message = f"file is not UTF-8 text (byte {err.start})"
        raise YamlProblem(message, _byte_position(data, err.start), "save it as UTF-8") from None


def _byte_position(data: bytes, offset: int) -> Position:
    before = data[:offset]
    return Position(before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1)
