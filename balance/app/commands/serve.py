"""``balance serve``: the local web app (team, athletes, live tests, reports) in the browser."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from balance.app.commands._common import EXAMPLES_FORMATTER, add_db_argument, fail
from balance.app.commands.test import TEST_BOARD_CHOICES  # the boards a live test can use

EXAMPLES = """\
examples:
  balance serve                         # http://127.0.0.1:8000/ in the browser, board: wii
  balance serve --board sim             # no hardware: a simulated board and person
  balance serve --host 0.0.0.0 --no-open   # a tablet on the gym's Wi-Fi: enter the printed access code

Listening on an address other than 127.0.0.1/localhost needs an access code: one is
generated and printed at start, or give --access-code / $BALANCE_ACCESS_CODE. Each browser
enters it once (it is then remembered until the server stops). Behind a TLS proxy the cookies
are marked Secure when the proxy on this computer sends X-Forwarded-Proto: https.
"""

#: Environment variable holding the access code.
ENV_ACCESS_CODE = "BALANCE_ACCESS_CODE"


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve",
        help="the web app: team, athletes, live tests, reports",
        description="Start the local web app and open it in the browser: the team page (every athlete's "
        "latest left-vs-right result, who got worse), athlete pages with the progress chart and the physio "
        "export, live tests on the board, session reports, and analysing recording files. It reads and "
        "writes the same history database as the other commands.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--board", default=None, choices=TEST_BOARD_CHOICES,
                   help="board for live tests (default wii; sim needs no hardware)")  # fmt: skip
    add_db_argument(p)
    p.add_argument("--open", dest="open_browser", action="store_true", default=True,
                   help="open the page in the browser (default)")  # fmt: skip
    p.add_argument("--no-open", dest="open_browser", action="store_false", help="do not open a browser")
    p.add_argument("--access-code", metavar="CODE",
                   help=f"access code for other computers (default ${ENV_ACCESS_CODE}, else a generated one); "
                   "only used when --host is not loopback")  # fmt: skip
    return p


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401 - checked here for a clear message
    except ImportError:  # pragma: no cover - part of the default install
        return fail("serve", "the web app needs uvicorn and starlette: pip install balance-sway (or pip install uvicorn starlette jinja2 python-multipart)")
    from pathlib import Path

    from balance.app.paths import data_home, default_db_path
    from balance.app.web.security import generate_access_code
    from balance.app.web.settings import WebSettings, is_loopback_host

    if not 0 <= args.port <= 65535:
        return fail("serve", f"--port {args.port} is not a port number (0-65535)", code=2)
    loopback = is_loopback_host(args.host)
    code = None
    if not loopback:
        code = (args.access_code or os.environ.get(ENV_ACCESS_CODE) or "").strip() or generate_access_code()
    settings = WebSettings(
        db_path=default_db_path(args.db),
        board=args.board or "wii",
        host=args.host,
        port=args.port,
        access_code=code,
        data_dir=data_home(),
    )
    from balance.app.store import Store

    Store.open(settings.db_path).close()  # a bad --db is reported now, not on the first page
    return serve(settings, open_browser=args.open_browser, db_label=str(Path(settings.db_path or "")))


def serve(settings: Any, *, open_browser: bool, db_label: str) -> int:
    """Run uvicorn on ``settings`` until Ctrl+C; print the URL (with the access code) once listening."""
    import socket

    import uvicorn

    from balance.app.web.app import create_app

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as err:
        sock.close()
        return fail("serve", f"cannot listen on {settings.host}:{settings.port}: {err.strerror}; "
                    "choose another --port (or --port 0 for a free one)")  # fmt: skip
    port = sock.getsockname()[1]
    shown_host = settings.host if settings.host not in ("0.0.0.0", "::") else socket.gethostname()
    url_host = f"[{shown_host}]" if ":" in shown_host else shown_host
    url = f"http://{url_host}:{port}/"
    print(f"balance serve: database {db_label}, board {settings.board}")
    if settings.access_code:
        from urllib.parse import quote

        url = f"{url}login?code={quote(settings.access_code)}"
        print(f"Listening on {settings.host}:{port}, open to the network: access code {settings.access_code}")
        print("Each browser enters the code once. Anyone on this network with the code can see the athletes' data.")
    print(f"Open {url}   (Ctrl+C stops the server)", flush=True)
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then passes Ctrl+C on: the normal way to stop
        pass
    finally:
        sock.close()
    print("balance serve: stopped", file=sys.stderr)
    return 0
