"""Subcommands that other packages add to ``servingops``, found through entry points.

A package registers ``NAME = "module:function"`` in the ``servingops.commands``
entry-point group (``[project.entry-points."servingops.commands"]`` in its
pyproject.toml). ``function(argv: list[str]) -> int`` parses its own flags, so
``servingops NAME --help`` prints its help, and returns the exit code.

An entry point is loaded only when its command runs: the core imports no plugin, and
``servingops validate`` never pays for importing one. ``servingops plane`` comes this
way from the ``plane`` package of this distribution. ``load_command`` raises
``UsageError`` with a hint when a command is not registered (a stale or partial
install) or does not import.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import NamedTuple

from servingops.errors import UsageError

__all__ = ["GROUP", "KNOWN", "Command", "command_help", "find_commands", "load_command"]

GROUP = "servingops.commands"

Command = Callable[[list[str]], int]


class Known(NamedTuple):
    """A plugin command the CLI offers even when it is not installed."""

    help: str
    """The one-line help shown by ``servingops --help``."""
    hint: str
    """What to do when its entry point is missing."""


KNOWN = {
    "plane": Known(
        help="Start the local control plane (``python -m plane``).",
        hint="the local plane ships with servingops: reinstall it so its entry points are "
        "registered (`make venv`, or `.venv/bin/python -m pip install -e .`)",
    ),
}
_DEFAULT_HINT = "install the package that provides it"


def find_commands() -> dict[str, EntryPoint]:
    """The registered plugin commands by name (on a duplicate name, the last one wins)."""
    return {entry.name: entry for entry in entry_points(group=GROUP)}


def command_help() -> dict[str, str]:
    """Every plugin command to offer, known or registered, with its help, sorted by name."""
    found = {name: f"plugin command ({entry.value})" for name, entry in find_commands().items()}
    found.update({name: known.help for name, known in KNOWN.items()})
    return dict(sorted(found.items()))


def load_command(name: str) -> Command:
    """The function behind plugin command ``name``; UsageError if it is missing or broken."""
    entry = find_commands().get(name)
    hint = KNOWN[name].hint if name in KNOWN else _DEFAULT_HINT
    if entry is None:
        raise UsageError(
            f"the '{name}' command is not installed "
            f"(no entry point '{name}' in the group '{GROUP}')",
            hint=hint,
        )
    try:
        command: Command = entry.load()
    except (ImportError, AttributeError) as err:
        raise UsageError(
            f"the '{name}' command ({entry.value}) cannot be loaded: {err}", hint=hint
        ) from err
    if not callable(command):
        raise UsageError(f"the '{name}' command ({entry.value}) is not a function", hint=hint)
    return command
