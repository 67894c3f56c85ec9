"""The ``servingops`` command line. Each subcommand calls exactly one function of its name.

Plugin subcommands (``servingops plane``) come from the ``servingops.commands``
entry-point group (see ``servingops.plugins``); they parse their own flags, and ``plugin``
runs them. The core never imports the package behind one.

Exit codes (``servingops.exitcodes``, Terraform's convention): ``validate`` 0 valid
(warnings allowed), 1 invalid input, 2 usage error; ``diff --exit-code``, ``drift``,
``smoke`` and ``export`` 0 clean, 1 error (bad input, unreachable, auth, usage,
internal), 2 findings (changes, drift, failed smoke); 130 after Ctrl-C. Tracebacks
only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from servingcatalogue import load_catalogue
from servingops import plugins, review, smokereport
from servingops.connect import connect
from servingops.diagnostics import FORMATTERS, format_text
from servingops.errors import ConfigError, ToolError, UsageError
from servingops.escape import for_github_lines, for_github_property, for_json, for_text
from servingops.exitcodes import CHECK, INIT, INTERRUPTED, TOP_LEVEL, VALIDATE, codes_for
from servingops.export import export_live, to_yaml
from servingops.init import init_project
from servingops.loader import check_document, load_endpoints
from servingops.model.endpoint import EndpointSpec
from servingops.plan import compare_specs, plan_endpoints
from servingops.policy import apply_policy
from servingops.pool import DEFAULT_READ_JOBS, DEFAULT_SMOKE_JOBS, MAX_JOBS
from servingops.smoke import SmokeOutcome, run_smoke_all
from servingops.unmanaged import IgnoreRules, stack_owner, undeclared_endpoints

DESCRIPTION = "LLM serving endpoints as code: validate, diff, drift, smoke, export, plane."


def validate(args: argparse.Namespace) -> int:
    """Check endpoint files offline: YAML, schema and semantic rules."""
    result = load_endpoints(args.paths, allow_plaintext=args.allow_plaintext)
    if args.policy:
        result.report.add(apply_policy(args.policy, result.specs))
    sys.stdout.write(FORMATTERS[args.format](result.report))
    failing = result.report.errors or (args.strict and result.report.warnings)
    return VALIDATE.findings if failing else VALIDATE.ok


def _specs(args: argparse.Namespace) -> list[EndpointSpec]:
    result = load_endpoints(args.paths, allow_plaintext=True)
    if not result.ok:
        raise ConfigError(
            "the endpoint files have errors:\n" + format_text(result.report),
            hint="fix them first (`servingops validate`)",
        )
    return result.specs


def diff(args: argparse.Namespace) -> int:
    """Show what applying the files would change (a review summary); --base compares offline."""
    if args.base:
        base = _specs(argparse.Namespace(paths=[args.base]))
        items = compare_specs(base, _specs(args))
    else:
        specs = _specs(args)
        with connect(args.host) as client:
            items = plan_endpoints(client, specs, jobs=args.jobs)
    sys.stdout.write(review.FORMATS[args.format](items))
    changed = any(i.verdict != "same" for i in items)
    return CHECK.findings if (changed and args.exit_code) else CHECK.ok


def drift(args: argparse.Namespace) -> int:
    """Detect hand-made changes and endpoints no file declares: exit 2 on drift, 1 on error."""
    specs = _specs(args)
    stack = stack_owner(args.stack)
    ignore = IgnoreRules(tuple(args.ignore), tuple(args.ignore_tag))
    with connect(args.host) as client:
        listing = client.list_endpoints() if args.unmanaged else []  # one call before many
        items = plan_endpoints(client, specs, jobs=args.jobs)
    if args.unmanaged:
        declared = [s.name for s in specs]
        items += undeclared_endpoints(listing, declared, stack=stack, ignore=ignore)
    sys.stdout.write(review.FORMATS[args.format](items))
    return CHECK.findings if any(i.verdict != "same" for i in items) else CHECK.ok


def smoke(args: argparse.Namespace) -> int:
    """Send each endpoint's smoke query now, many at once: exit 2 if a check fails, 1 on error."""
    specs = sorted(_specs(args), key=lambda s: s.name)
    started = time.monotonic()
    with connect(args.host) as client:
        client.list_endpoints()  # reachable, and the credentials work: else exit 1, not 2
        runs = run_smoke_all(client, specs, jobs=args.jobs, timeout_s=args.timeout)
    outcomes = [o for run in runs for o in run]
    sources = {s.name: s.source for s in specs}
    sys.stdout.write(smokereport.FORMATS[args.format](outcomes, sources))
    if args.junit:
        _write_junit(args.junit, outcomes, time.monotonic() - started)
    _raise_if_unreachable(outcomes)
    return CHECK.findings if any(not o.ok for o in outcomes) else CHECK.ok


def _raise_if_unreachable(outcomes: list[SmokeOutcome]) -> None:
    """Exit 1, not 2, when queries could not connect: the run is broken, not the endpoints."""
    lost = sum(o.unreachable for o in outcomes)
    if lost:
        raise ToolError(
            f"{lost} of {len(outcomes)} smoke quer(ies) could not connect to the control "
            "plane after it had answered: the check is broken, not the endpoints",
            hint="check the network and DATABRICKS_HOST, then run the smoke check again",
        )


def _write_junit(path: str, outcomes: list[SmokeOutcome], elapsed_s: float) -> None:
    try:
        smokereport.write_junit(path, outcomes, elapsed_s)
    except OSError as err:
        raise ToolError(
            f"cannot write the JUnit report {path}: {err.strerror or err}",
            hint="check that its folder exists and is writable",
        ) from None


def export(args: argparse.Namespace) -> int:
    """Write an endpoint file generated from a live endpoint."""
    with connect(args.host) as client:
        raw = export_live(client, args.name, load_catalogue())
    text = to_yaml(raw)
    for problem in check_document(raw, args.name, allow_plaintext=True):
        print(
            f"warning: {for_text(problem.json_path)}: {for_text(problem.message)}", file=sys.stderr
        )
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as err:
            raise ToolError(
                f"cannot write {args.output}: {err.strerror or err}",
                hint="check that its folder exists and is writable",
            ) from None
        print(f"wrote {args.output}", file=sys.stderr)
    return CHECK.ok


def init(args: argparse.Namespace) -> int:
    """Write a new servingops project (Pulumi program, example endpoint, policies, CI) into DIR."""
    written = init_project(args.dir, name=args.name, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(
        f"next: copy the servingops wheel into {for_text(args.dir)}/wheels/ (requirements.txt "
        f"names it), then: cd {for_text(args.dir)} && python -m venv .venv && "
        ".venv/bin/pip install -r requirements.txt && "
        ".venv/bin/servingops validate --policy policies/dev.yaml"
    )
    return INIT.ok  # refusals are ToolError: exit 1


def plugin(args: argparse.Namespace) -> int:
    """Run a plugin subcommand with its own arguments; exit 2 when it is not installed."""
    try:
        command = plugins.load_command(args.command)
    except UsageError as err:
        print(f"servingops {args.command}: error: {err}", file=sys.stderr)
        return TOP_LEVEL.usage
    return int(command(args.plugin_args))


class _BadUsage(Exception):
    """argparse found a usage error; ``main`` prints it and exits with the command's code."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors return to ``main`` instead of exiting 2,
    so each command exits with its own usage code (``servingops.exitcodes``)."""

    def error(self, message: str) -> NoReturn:
        raise _BadUsage(self, message)


def _usage_error(parser: argparse.ArgumentParser, message: str, command: str | None = None) -> int:
    """Print ``parser``'s usage and the error; the usage exit code of ``command`` (default:
    the command ``parser`` belongs to)."""
    parser.print_usage(sys.stderr)
    words = parser.prog.split()
    command = command or (words[1] if len(words) > 1 else None)
    print(f"servingops{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    return codes_for(command).usage


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_JOBS}, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser: argparse.ArgumentParser = _Parser(prog="servingops", description=DESCRIPTION)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(sub)
    _add_remote(sub)
    _add_init(sub)
    _add_plugins(sub)
    return parser


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help=validate.__doc__, description=validate.__doc__)
    p.add_argument("paths", nargs="*", default=["endpoints"], help="files or folders")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    p.add_argument(
        "--allow-plaintext",
        action="store_true",
        help="accept *_plaintext secrets (write-only; values are never printed)",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as findings")
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="also check the stack policy in FILE (e.g. policies/prod.yaml)",
    )
    p.set_defaults(func=validate)


def _add_init(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help=init.__doc__, description=init.__doc__)
    p.add_argument("dir", metavar="DIR", help="folder to write the project into (created)")
    p.add_argument("--name", help="Pulumi project name (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=init)


def _add_remote(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remote = ((diff, review.FORMATS), (drift, review.FORMATS), (smoke, smokereport.FORMATS))
    for func, formats in remote:
        p = sub.add_parser(func.__name__, help=func.__doc__, description=func.__doc__)
        p.add_argument("paths", nargs="*", default=["endpoints"], help="files or folders")
        p.add_argument("--host", help="control-plane URL (default: $DATABRICKS_HOST)")
        p.add_argument("--format", choices=sorted(formats), default="text")
        jobs = DEFAULT_SMOKE_JOBS if func is smoke else DEFAULT_READ_JOBS
        p.add_argument(
            "--jobs",
            type=_jobs,
            default=jobs,
            help=f"endpoints read or queried at a time (default {jobs})",
        )
        if func is diff:
            p.add_argument("--exit-code", action="store_true", help="exit 2 when anything changes")
            p.add_argument(
                "--base",
                metavar="DIR",
                help="compare with the endpoint files in DIR (e.g. a checkout of main), offline",
            )
        if func is drift:
            _add_drift_flags(p)
        if func is smoke:
            _add_smoke_flags(p)
        p.set_defaults(func=func)
    p = sub.add_parser("export", help=export.__doc__, description=export.__doc__)
    p.add_argument("name", help="the live endpoint's name")
    p.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    p.add_argument("--host", help="control-plane URL (default: $DATABRICKS_HOST)")
    p.set_defaults(func=export)


def _add_drift_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stack",
        metavar="[PROJECT/]STACK",
        help="this stack's servingops-stack tag, to tell its orphans from other stacks' "
        "endpoints (default: the project of ./Pulumi.yaml and $SERVINGOPS_STACK or 'local')",
    )
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="NAME_PATTERN",
        help="do not report undeclared endpoints whose name matches (shell pattern; repeatable)",
    )
    p.add_argument(
        "--ignore-tag",
        action="append",
        default=[],
        metavar="KEY[=VALUE]",
        help="do not report undeclared endpoints carrying this tag (repeatable)",
    )
    p.add_argument(
        "--no-unmanaged",
        dest="unmanaged",
        action="store_false",
        help="compare the files only; do not list live endpoints declared in no file",
    )


def _add_smoke_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="each endpoint's time budget for its queries and retries (default: none; "
        "each query still waits at most its file's smoke.timeout_seconds)",
    )
    p.add_argument(
        "--junit", metavar="FILE", help="also write a JUnit XML report: one case per query"
    )


def plugin_commands() -> dict[str, str]:
    """Plugin subcommands with their help; a plugin cannot replace a built-in command."""
    builtins = {func.__name__ for func in (validate, diff, drift, smoke, export, init)}
    return {n: text for n, text in plugins.command_help().items() if n not in builtins}


def _add_plugins(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in plugin_commands().items():
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument(
            "plugin_args", nargs=argparse.REMAINDER, help=f"see `servingops {name} --help`"
        )
        p.set_defaults(func=plugin)


def _plugin_call(argv: list[str]) -> argparse.Namespace | None:
    """The plugin command and its arguments when ``argv`` (after ``--debug``) names one.

    argparse's ``REMAINDER`` does not take a leading flag the subparser does not know
    (https://bugs.python.org/issue17050), so plugin commands are split off before parsing;
    their subparsers only list them in ``servingops --help``.
    """
    start = 0
    while argv[start : start + 1] == ["--debug"]:
        start += 1
    if argv[start : start + 1] and argv[start] in plugin_commands():
        return argparse.Namespace(command=argv[start], plugin_args=argv[start + 1 :])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    called = _plugin_call(argv)
    if called is not None:  # a plugin parses its own flags
        return plugin(called)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except _BadUsage as err:
        return _usage_error(err.parser, err.message)
    if extra:
        return _usage_error(parser, f"unrecognized arguments: {' '.join(extra)}", args.command)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Call the command; map what it raises to its exit code (``servingops.exitcodes``)."""
    func: Callable[[argparse.Namespace], int] = args.func
    codes = codes_for(args.command)
    try:
        return int(func(args))
    except UsageError as err:
        return _failed(args, err.message, err.hint, codes.usage)
    except ToolError as err:
        return _failed(args, err.message, err.hint, codes.error)
    except KeyboardInterrupt:
        print("servingops: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as err:  # noqa: BLE001 - last-resort guard: no traceback by default
        if args.debug:
            traceback.print_exc()
        hint = "re-run with --debug for the traceback, and report it"
        message = f"{type(err).__name__}: {err}"
        return _failed(args, message, hint, codes.error, kind="internal error")


def _failed(
    args: argparse.Namespace, message: str, hint: str, code: int, *, kind: str = "error"
) -> int:
    """Report a command that failed (``kind``: ``error`` or ``internal error``): the text
    on stderr; on stdout also, with ``--format json``, ``{"error": {"kind", "message",
    "hint", "exit_code"}}`` (a JSON consumer reads the failure, not an empty document),
    with ``--format github`` an ``::error`` annotation. Returns ``code``."""
    text = f"{message}\n  hint: {hint}" if hint else message
    print(f"servingops {args.command}: {kind}: {text}", file=sys.stderr)
    output = getattr(args, "format", None)
    if output == "json":
        error = {"kind": kind, "message": message, "hint": hint, "exit_code": code}
        sys.stdout.write(json.dumps({"error": for_json(error)}, indent=2) + "\n")
    elif output == "github":
        title = for_github_property(f"servingops {args.command} failed")
        print(f"::error title={title}::{for_github_lines(text.splitlines())}")
    return code


if __name__ == "__main__":
    sys.exit(main())
