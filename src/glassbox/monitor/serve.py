"""``glassbox monitor serve``: the dashboard and ingest server on one run store.

    glassbox monitor serve [--db glassbox-runs.db] [--host 127.0.0.1] [--port 6006] [--public-read]
                           [--token-file PATH] [--heartbeat-timeout 60] [--stall-timeout 900]
                           [--certfile CERT --keyfile KEY] [--notify KIND=TARGET …]

Binds 127.0.0.1 unless ``--host`` says otherwise. On first start a token is generated, kept beside
the database (``monitor-token``, mode 0600) and printed once with the address to open; later starts
say where the token is. ``--port 0`` takes a free port (the address printed says which).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from glassbox.monitor.notify import CHANNELS, Notifier, config_from_environment, merge_configs, read_config_file
from glassbox.monitor.security import TOKEN_FILE_NAME, load_or_create_token


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get("GLASSBOX_MONITOR_DB", "glassbox-runs.db"),
                        help="the SQLite run store (created if missing)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=6006, help="0 for any free port")
    parser.add_argument("--public-read", action="store_true", help="let anyone who can connect read runs")
    parser.add_argument("--token-file", default=None, help=f"default: {TOKEN_FILE_NAME} beside the database")
    parser.add_argument("--heartbeat-timeout", type=float, default=60.0,
                        help="seconds without a heartbeat before a run is lost")
    parser.add_argument("--stall-timeout", type=float, default=900.0,
                        help="seconds without a new step before a run is stalled (0: never)")
    parser.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile the server speaks HTTPS")
    parser.add_argument("--keyfile", help="TLS private key (PEM)")
    parser.add_argument("--max-body", type=int, default=2 * 2**20, help="largest request body in bytes")
    parser.add_argument("--rate-limit", type=float, default=100.0,
                        help="API requests per second per client (0: no limit)")
    parser.add_argument("--rate-burst", type=float, default=None, help="bucket size (default twice the rate)")
    parser.add_argument("--notify", action="append", default=[], metavar="KIND=TARGET",
                        help=f"send notifications; KIND is one of {', '.join(CHANNELS)} (repeatable)")
    parser.add_argument("--notify-on", default=None, help="events, comma-separated "
                        "(default finished,failed,killed,lost,nan,threshold; also stalled)")
    parser.add_argument("--notify-threshold", action="append", default=[], metavar="RULE",
                        help="notify once per run when a metric crosses RULE, e.g. val_accuracy>=0.97")
    parser.add_argument("--notify-debounce", type=float, default=None, help="seconds between repeats (default 60)")
    parser.add_argument("--notify-config", default=os.environ.get("GLASSBOX_MONITOR_NOTIFY_CONFIG"),
                        help="TOML or JSON notification settings")
    parser.add_argument("--smtp-host")
    parser.add_argument("--smtp-port", type=int)
    parser.add_argument("--smtp-user", help="the password comes from GLASSBOX_MONITOR_SMTP_PASSWORD or the config file")
    parser.add_argument("--smtp-from")
    parser.add_argument("--smtp-starttls", choices=("auto", "always", "never"))
    parser.add_argument("--smtp-cafile", help="CA bundle to verify the SMTP server's certificate")


def notifier_from_arguments(args, environ=None) -> Notifier | None:
    """The notifier configured by the file, then the environment, then the flags (later ones win)."""
    from_file = read_config_file(args.notify_config) if args.notify_config else {}
    from_flags: dict = {}
    for item in args.notify:
        kind, separator, target = item.partition("=")
        if not separator or kind not in CHANNELS or not target:
            raise SystemExit(f"glassbox monitor serve: --notify takes KIND=TARGET with KIND in {', '.join(CHANNELS)}, "
                             f"got {item!r}")
        from_flags.setdefault(kind, []).append(target)
    if args.notify_on:
        from_flags["on"] = args.notify_on
    if args.notify_threshold:
        from_flags["thresholds"] = args.notify_threshold
    if args.notify_debounce is not None:
        from_flags["debounce"] = args.notify_debounce
    smtp = {"host": args.smtp_host, "port": args.smtp_port, "username": args.smtp_user, "from": args.smtp_from,
            "starttls": args.smtp_starttls, "cafile": args.smtp_cafile}
    from_flags["smtp"] = {key: value for key, value in smtp.items() if value is not None}
    config = merge_configs(from_file, config_from_environment(environ), from_flags)
    if not any(config.get(kind) for kind in CHANNELS):
        return None
    return Notifier.from_config(config)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def serve_command(args) -> int:
    try:
        import uvicorn

        from glassbox.monitor.server import create_app
    except ImportError as error:
        raise SystemExit(f"glassbox monitor serve needs the monitor extra: pip install 'glassbox[monitor]' "
                         f"({error})") from None
    if bool(args.certfile) != bool(args.keyfile):
        raise SystemExit("glassbox monitor serve: --certfile and --keyfile go together")
    database = os.path.abspath(args.db)
    token_file = args.token_file or os.path.join(os.path.dirname(database), TOKEN_FILE_NAME)
    token, created = load_or_create_token(token_file)
    notifier = notifier_from_arguments(args)
    app = create_app(database, token, public_read=args.public_read, heartbeat_timeout=args.heartbeat_timeout,
                     stall_timeout=args.stall_timeout or None, max_body=args.max_body, rate_limit=args.rate_limit,
                     rate_burst=args.rate_burst, notifier=notifier, secure_cookie=bool(args.certfile))
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    scheme = "https" if args.certfile else "http"
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    address = f"{scheme}://{shown_host}:{port}/"
    print(f"glassbox monitor: serving {address} (runs: {database})")
    if created:
        print(f"glassbox monitor: new token (kept in {token_file}, shown only this once): {token}")
        print(f"glassbox monitor: open {address}?token={token}")
    else:
        print(f"glassbox monitor: token in {token_file}; open {address}?token=<token>")
    if notifier is not None:
        print(f"glassbox monitor: notifications: {notifier!r}")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, ssl_certfile=args.certfile,
                            ssl_keyfile=args.keyfile, timeout_graceful_shutdown=2, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
