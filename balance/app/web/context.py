"""What every page handler needs: the settings, the templates, the history database, the live hub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.templating import Jinja2Templates

    from balance.app.store import Store
    from balance.app.web.live import LiveHub
    from balance.app.web.security import AccessGate
    from balance.app.web.settings import WebSettings

__all__ = ["WebContext", "NAV", "TEMPLATES_DIR", "STATIC_DIR"]

#: Folder of the page templates (package data).
TEMPLATES_DIR = Path(__file__).with_name("templates")
#: Folder of the static assets: CSS, JavaScript (package data; served at ``/static``).
STATIC_DIR = Path(__file__).with_name("static")

#: The navigation bar: (path, label), in the order shown.
NAV: tuple[tuple[str, str], ...] = (
    ("/", "Team"),
    ("/test/new", "New test"),
    ("/analyze", "Analyse files"),
)


def make_templates() -> Jinja2Templates:
    """The page templates, with autoescaping on for every template (whatever its file name)."""
    import jinja2
    from starlette.templating import Jinja2Templates

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from balance.app.commands.analyze import _fmt_number as fmt  # the numbers of `balance analyze`'s table
    from balance.app.web.urls import athlete_url, session_url

    env.globals.update(athlete_url=athlete_url, session_url=session_url, fmt=fmt)
    return Jinja2Templates(env=env)


class WebContext:
    """The shared state of one web app: settings, templates, the store, the live hub, the access gate.

    Parameters
    ----------
    settings : WebSettings
        What ``balance serve`` was asked for.

    Notes
    -----
    One :class:`~balance.app.store.Store` is opened on first use and shared by every request (it is
    thread-safe: one lock, ``check_same_thread=False``); :meth:`close` closes it at shutdown.
    """

    def __init__(self, settings: WebSettings) -> None:
        from balance.app.web.security import AccessGate

        self.settings = settings
        self.templates = make_templates()
        self.gate: AccessGate = AccessGate(settings)
        self.hub: LiveHub | None = None
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        from balance.app.web.team_view import TeamCache

        #: The team page's rows, kept until the database changes.
        self.team_cache = TeamCache()

    @contextmanager
    def open_store(self) -> Iterator[Store]:
        """The history database (opened, created or migrated on first use; the CLI's ``--db`` rules)."""
        with self._store_lock:
            if self._store is None:
                from balance.app.store import Store

                self._store = Store.open(self.settings.db_path)
            store = self._store
        yield store

    def warm_up(self) -> threading.Thread:
        """Open the database now (created or migrated before any request or other program touches it), then
        compute the team page in the background (the first visit finds it ready); join the returned thread
        before :meth:`close`."""
        try:
            with self.open_store():
                pass
        except Exception:  # noqa: BLE001 - the pages report a database problem in their own words
            pass

        def work() -> None:
            try:
                with self.open_store() as store:
                    self.team_cache.rows(store)
            except Exception:  # noqa: BLE001 - the page itself reports any problem with the database
                pass

        thread = threading.Thread(target=work, name="balance-web-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Close the shared store (at shutdown); a later :meth:`open_store` opens it again."""
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def render(
        self,
        request: Request,
        name: str,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **variables: Any,
    ) -> Response:
        """A page: template ``name`` with ``variables`` plus ``csrf_token``, ``nav``, ``current`` and
        ``code_required`` (the navigation shows "Sign out" when an access code is in use)."""
        from balance.app.web.security import csrf_token

        context: dict[str, Any] = {
            "csrf_token": csrf_token(request),
            "nav": NAV,
            "current": request.url.path,
            "code_required": self.settings.code_required,
        }
        context.update(variables)
        return self.templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
