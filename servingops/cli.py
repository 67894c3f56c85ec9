"""The ``servingops`` command line. Each subcommand calls exactly one function of its name.

Exit codes: 0 clean (warnings allowed), 1 findings (errors, drift, failed smoke),
2 usage or internal error. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from servingops.diagnostics import FORMATTERS
from servingops.errors import ToolError
from servingops.loader import load_endpoints

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def validate(args: argparse.Namespace) -> int:
    """Check endpoint files offline: YAML, schema and semantic rules."""
    result = load_endpoints(args.paths, allow_plaintext=args.allow_plaintext)
    sys.stdout.write(FORMATTERS[args.format](result.report))
    failing = result.report.errors or (args.strict and result.report.warnings)
    return EXIT_FINDINGS if failing else EXIT_OK


def plane(args: argparse.Namespace) -> int:
    """Start the local control plane (``python -m plane``)."""
    from plane.server import main as plane_main

    return plane_main(args.plane_args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="servingops", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(sub)
    p = sub.add_parser("plane", help=plane.__doc__, add_help=False)
    p.add_argument("plane_args", nargs=argparse.REMAINDER, help="see `servingops plane --help`")
    p.set_defaults(func=plane)
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
    p.set_defaults(func=validate)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
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
