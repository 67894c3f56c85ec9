"""The ``servingops`` command line. Each subcommand calls exactly one function of its name.

Plugin subcommands (``servingops plane``) come from the ``servingops.commands``
entry-point group (see ``servingops.plugins``); they parse their own flags, and ``plugin``
runs them. The core never imports the package behind one.

Exit codes: 0 clean (warnings allowed), 1 findings (errors, drift, failed smoke),
2 usage or internal error. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from servingcatalogue import load_catalogue
from servingops import plugins, review
from servingops.connect import connect
from servingops.diagnostics import FORMATTERS, format_text
from servingops.errors import ConfigError, ToolError, UsageError
from servingops.escape import for_text
from servingops.export import export_live, to_yaml
from servingops.init import init_project
from servingops.loader import check_document, load_endpoints
from servingops.model.endpoint import SWITCHED_OFF, EndpointSpec
from servingops.plan import compare_specs, plan_endpoints
from servingops.policy import apply_policy
from servingops.smoke import run_smoke

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DESCRIPTION = "LLM serving endpoints as code: validate, diff, drift, smoke, export, plane."


def validate(args: argparse.Namespace) -> int:
    """Check endpoint files offline: YAML, schema and semantic rules."""
    result = load_endpoints(args.paths, allow_plaintext=args.allow_plaintext)
    if args.policy:
        result.report.add(apply_policy(args.policy, result.specs))
    sys.stdout.write(FORMATTERS[args.format](result.report))
    failing = result.report.errors or (args.strict and result.report.warnings)
    return EXIT_FINDINGS if failing else EXIT_OK


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
        with connect(args.host) as client:
            items = plan_endpoints(client, _specs(args))
    sys.stdout.write(review.FORMATS[args.format](items))
    changed = any(i.verdict != "same" for i in items)
    return EXIT_FINDINGS if (changed and args.exit_code) else EXIT_OK


def drift(args: argparse.Namespace) -> int:
    """Detect hand-made changes: exit 1 when a live endpoint differs from its file."""
    with connect(args.host) as client:
        items = plan_endpoints(client, _specs(args))
    sys.stdout.write(review.FORMATS[args.format](items))
    return EXIT_FINDINGS if any(i.verdict != "same" for i in items) else EXIT_OK


def smoke(args: argparse.Namespace) -> int:
    """Send each endpoint's smoke query now; exit 1 if any check fails."""
    failed = 0
    with connect(args.host) as client:
        for spec in _specs(args):
            if spec.switched_off:
                print(f"skip {spec.name}: {SWITCHED_OFF}")
            for outcome in run_smoke(client, spec):
                failed += not outcome.ok
                print(("ok   " if outcome.ok else "FAIL ") + outcome.describe())
    return EXIT_FINDINGS if failed else EXIT_OK


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
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def init(args: argparse.Namespace) -> int:
    """Write a new servingops project (Pulumi program, example endpoint, policies, CI) into DIR."""
    written = init_project(args.dir, name=args.name, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(
        f"next: cd {args.dir} && python -m venv .venv && .venv/bin/pip install -r requirements.txt"
        " && .venv/bin/servingops validate --policy policies/dev.yaml"
    )
    return 0  # refusals are ToolError: exit 1


def plugin(args: argparse.Namespace) -> int:
    """Run a plugin subcommand with its own arguments; exit 2 when it is not installed."""
    try:
        command = plugins.load_command(args.command)
    except UsageError as err:
        print(f"servingops {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return int(command(args.plugin_args))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="servingops", description=DESCRIPTION)
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
    for func, formats in ((diff, review.FORMATS), (drift, review.FORMATS), (smoke, None)):
        p = sub.add_parser(func.__name__, help=func.__doc__, description=func.__doc__)
        p.add_argument("paths", nargs="*", default=["endpoints"], help="files or folders")
        p.add_argument("--host", help="control-plane URL (default: $DATABRICKS_HOST)")
        if formats:
            p.add_argument("--format", choices=sorted(formats), default="text")
        if func is diff:
            p.add_argument("--exit-code", action="store_true", help="exit 1 when anything changes")
            p.add_argument(
                "--base",
                metavar="DIR",
                help="compare with the endpoint files in DIR (e.g. a checkout of main), offline",
            )
        p.set_defaults(func=func)
    p = sub.add_parser("export", help=export.__doc__, description=export.__doc__)
    p.add_argument("name", help="the live endpoint's name")
    p.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    p.add_argument("--host", help="control-plane URL (default: $DATABRICKS_HOST)")
    p.set_defaults(func=export)


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
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args))
    except ToolError as err:
        print(f"servingops {args.command}: error: {err}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("servingops: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last-resort guard: no traceback by default
        if args.debug:
            traceback.print_exc()
        print(
            f"servingops {args.command}: internal error: {type(err).__name__}: {err}\n"
            "  hint: re-run with --debug for the traceback, and report it",
            file=sys.stderr,
        )
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
