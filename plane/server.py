"""``python -m plane`` / ``servingops plane``: serve the plane with uvicorn on 127.0.0.1.

At start it writes the owner-only env file (``--env-file``, default ``plane.env`` next
to ``--db``): ``export DATABRICKS_HOST=...`` and ``export DATABRICKS_TOKEN=...`` (and,
when an OAuth client is configured, ``DATABRICKS_CLIENT_ID`` /
``DATABRICKS_CLIENT_SECRET``). stdout shows ``DATABRICKS_HOST=...`` and
``SERVINGOPS_PLANE_ENV=<path>`` only: secrets never reach the banner or a log file.
Logs go to stderr.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn

from plane.app import create_app
from plane.protocol import PlaneH11Protocol
from plane.settings import PlaneSettings, check_workspace_id, generate_token

DEFAULT_DB = ".servingops/plane.sqlite"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of the plane."""
    parser = argparse.ArgumentParser(prog="plane", description="Run the local control plane.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8700, help="port (0 = any free port)")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument(
        "--token",
        default=os.environ.get("SERVINGOPS_PLANE_TOKEN"),
        help="bearer token to accept (default: $SERVINGOPS_PLANE_TOKEN, else a generated one; "
        "the variable keeps it out of `ps`)",
    )
    parser.add_argument("--client-id", help="OAuth M2M client id (with --client-secret)")
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("SERVINGOPS_PLANE_CLIENT_SECRET"),
        help="OAuth M2M client secret (default: $SERVINGOPS_PLANE_CLIENT_SECRET)",
    )
    parser.add_argument(
        "--env-file",
        help="owner-only file the connection variables (token, client secret) are written "
        "to (default: plane.env next to --db)",
    )
    parser.add_argument("--settle-seconds", type=float, default=1.0, help="update duration")
    parser.add_argument("--pt-settle-seconds", type=float, default=5.0, help="PT update duration")
    parser.add_argument("--shuffle-entities", action="store_true", help="random entity order")
    parser.add_argument("--seed", type=int, help="random seed (traffic split, shuffling)")
    parser.add_argument(
        "--workspace-id",
        type=_workspace_id,
        help="workspace id to report (x-databricks-org-id); default: the one stored in --db",
    )
    parser.add_argument(
        "--enforce-acl", action="store_true", help="refuse queries without CAN_QUERY (403)"
    )
    args = parser.parse_args(argv)
    if (args.client_id is None) != (args.client_secret is None):
        parser.error("--client-id and --client-secret go together")
    return args


def settings_from(args: argparse.Namespace) -> PlaneSettings:
    """PlaneSettings from parsed arguments."""
    return PlaneSettings(
        token=args.token or generate_token(),
        client_id=args.client_id,
        client_secret=args.client_secret,
        settle_seconds=args.settle_seconds,
        pt_settle_seconds=args.pt_settle_seconds,
        shuffle_entities=args.shuffle_entities,
        seed=args.seed,
        workspace_id=args.workspace_id,
        enforce_acl=args.enforce_acl,
    )


def _workspace_id(value: str) -> str:
    """argparse type of ``--workspace-id``: digits only (a usage error otherwise)."""
    try:
        return check_workspace_id(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one).

    ``IPPROTO_TCP`` must be explicit: asyncio sets TCP_NODELAY on accepted sockets only
    when their ``proto`` says TCP, and without it every response waits ~40 ms for a
    delayed ACK (headers and body are written separately).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: object, sock: socket.socket, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``sock`` (h11 with drop-connection support)."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        http=PlaneH11Protocol,
        lifespan="on",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    return uvicorn.Server(config)


def connection_env(settings: PlaneSettings, url: str) -> dict[str, str]:
    """The variables a client needs: host, token and (if configured) the OAuth client."""
    env = {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": settings.token}
    if settings.oauth_enabled:
        env["DATABRICKS_CLIENT_ID"] = str(settings.client_id)
        env["DATABRICKS_CLIENT_SECRET"] = str(settings.client_secret)
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Write ``export KEY=VALUE`` lines to ``path`` atomically, mode 0600 from the start.

    The temporary file is ``tempfile.mkstemp``'s (random name, ``O_EXCL``, 0600), so no
    file or symlink planted next to ``path`` can receive the secrets. Raises ``OSError``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def announce(url: str, env_file: Path) -> None:
    """Print where the plane is and where its credentials are (never the secrets)."""
    print(f"DATABRICKS_HOST={url}")
    print(f"SERVINGOPS_PLANE_ENV={env_file}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the plane until interrupted; 0 on a clean stop, 2 on a usage / bind error."""
    args = parse_args(argv)
    settings = settings_from(args)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"plane: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    env_file = Path(args.env_file) if args.env_file else Path(args.db).parent / "plane.env"
    try:
        write_env_file(env_file, connection_env(settings, url))
    except OSError as exc:
        print(f"plane: cannot write {env_file}: {exc.strerror}", file=sys.stderr)
        sock.close()
        return 2
    announce(url, env_file)
    print(
        f"plane: serving {args.db} on {shown}:{port}; credentials in {env_file} "
        "(owner-only; `. <file>` exports them); Ctrl-C stops",
        file=sys.stderr,
    )
    serve(uvicorn_server(create_app(args.db, settings=settings), sock), sock)
    return 0


def serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run until SIGINT / SIGTERM, then return quietly (no traceback, exit status 0).

    uvicorn shuts down gracefully, then re-raises the signal it caught; the handlers
    installed here turn that into a normal return.
    """
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("plane: stopped", file=sys.stderr)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
