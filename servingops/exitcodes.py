"""The exit code of every servingops command: one table, mirrored by the README's "Exit codes".

Terraform's convention: ``terraform validate`` exits 1 on invalid configuration, and
``terraform plan -detailed-exitcode`` exits 0 for no changes, 1 for an error, 2 for
changes. So:

    command                                    clean  error  findings
    validate                                   0      1 / 2  1
    diff --exit-code, drift, smoke, export     0      1      2
    init                                       0      1 / 2  -

``validate``: 1 invalid input, 2 usage error. Everything else: 1 for any error (bad
input, unreachable host, wrong token, usage, internal), 2 for findings (changes, drift,
an undeclared endpoint, a failed smoke query). ``diff`` without ``--exit-code`` exits
0 with changes, like ``terraform plan``. Any command interrupted with Ctrl-C exits 130
(128 + SIGINT). No command at all, an unknown one, or a plugin that is not installed
exits 2. Plugin commands (``servingops plane``) keep their own codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHECK",
    "COMMANDS",
    "INIT",
    "INTERRUPTED",
    "TOP_LEVEL",
    "VALIDATE",
    "ExitCodes",
    "codes_for",
]


@dataclass(frozen=True)
class ExitCodes:
    """What one command exits with: ``ok`` clean, ``findings`` something to look at,
    ``error`` the command could not do its job, ``usage`` bad flags or arguments."""

    ok: int
    findings: int
    error: int
    usage: int


VALIDATE = ExitCodes(ok=0, findings=1, error=1, usage=2)
"""``validate``: 0 valid (warnings allowed), 1 invalid input, 2 usage error."""
CHECK = ExitCodes(ok=0, findings=2, error=1, usage=1)
"""``diff --exit-code``, ``drift``, ``smoke``, ``export``: 0 clean, 1 error, 2 findings."""
INIT = ExitCodes(ok=0, findings=1, error=1, usage=2)
"""``init``: 0 project written, 1 refused (a file exists without ``--force``, a bad name),
2 usage error."""
TOP_LEVEL = ExitCodes(ok=0, findings=1, error=1, usage=2)
"""``servingops`` before a command is known: argparse's usage error 2."""
INTERRUPTED = 130
"""Ctrl-C (SIGINT) during any command: 128 + 2, as a shell reports it."""

COMMANDS: dict[str, ExitCodes] = {
    "validate": VALIDATE,
    "diff": CHECK,
    "drift": CHECK,
    "smoke": CHECK,
    "export": CHECK,
    "init": INIT,
}


def codes_for(command: str | None) -> ExitCodes:
    """The exit codes of a built-in ``command`` (``TOP_LEVEL`` for None or an unknown one)."""
    return COMMANDS.get(command or "", TOP_LEVEL)
