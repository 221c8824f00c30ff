"""The explorer's web application (Starlette): the page, and a small JSON API over `core`.

    GET /                      the page (tcpspec/explorer/assets/)
    GET /api/info              scenarios, mutants, bounds, properties
    GET /api/messages?lang=ko  every text the page shows, in that language (the catalogue)
    GET /api/state?path=...    the state after following the moves of ``path``
    GET /api/jump?path=...&property=P&from=start|here   the shortest counterexample or witness
    GET /api/random?path=...&seed=N                      a seeded random run

``scenario`` and ``mutant`` may be given with every call (default: the server's own). A bad
request is answered with status 400 and ``{"error": "..."}``; the server goes on running.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tcpspec.explorer.core import Explorer, PathError
from tcpspec.explorer.page import ASSETS, index_html, info, messages
from tcpspec.spec.build import UnknownName
from tcpspec.spec.model import Bounds
from tcpspec.spec.mutants import MUTANTS
from tcpspec.spec.scenarios import SCENARIOS

_MAX_QUERY = 8000  # characters: far more than --max-path keys need


class BadRequest(Exception):
    """Answered with status 400 and the message."""


def create_app(
    scenario: str, bounds: Bounds, mutant: str | None = None, max_path: int = 200
) -> Starlette:
    """The application for one set of bounds; scenario and mutant are the page's defaults."""
    explorers: dict[tuple[str, str | None], Explorer] = {}
    lock = threading.Lock()

    def explorer(request: Request) -> Explorer:
        q = request.query_params
        if len(str(request.url.query)) > _MAX_QUERY:
            raise BadRequest(f"the query is longer than {_MAX_QUERY} characters")
        sc = q.get("scenario") or scenario
        mu = q.get("mutant") or (None if "mutant" in q else mutant)
        if sc not in SCENARIOS:
            raise BadRequest(f"unknown scenario {sc!r}; choose one of: {', '.join(SCENARIOS)}")
        if mu is not None and mu not in MUTANTS:
            raise BadRequest(f"unknown mutant {mu!r}; choose one of: {', '.join(MUTANTS)}")
        with lock:
            ex = explorers.get((sc, mu))
            if ex is None:
                try:
                    ex = explorers[(sc, mu)] = Explorer(sc, bounds, mu, max_path=max_path)
                except UnknownName as e:  # pragma: no cover - names are checked above
                    raise BadRequest(str(e)) from e
        return ex

    def keys(request: Request) -> list[str]:
        raw = request.query_params.get("path", "")
        return [k for k in raw.split(",") if k] if raw else []

    async def page(request: Request) -> Response:
        return HTMLResponse(index_html())

    async def api_info(request: Request) -> Response:
        doc = info(scenario, mutant, bounds, max_path)
        return JSONResponse(doc)

    async def api_messages(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        try:
            return JSONResponse(messages(lang, explorer(request)))
        except ValueError as e:
            raise BadRequest(str(e)) from e

    def api_state(request: Request) -> Response:
        return JSONResponse(explorer(request).view(keys(request)))

    def api_jump(request: Request) -> Response:
        q = request.query_params
        frm = q.get("from", "start")
        if frm not in ("start", "here"):
            raise BadRequest(f"from must be start or here (got {frm!r})")
        prop = q.get("property", "")
        return JSONResponse(explorer(request).jump(keys(request), prop, frm == "here"))

    def api_random(request: Request) -> Response:
        raw = request.query_params.get("seed", "1")
        # (ASCII digits only: "²" is a digit to str.isdigit, not to int())
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
            raise BadRequest(f"seed must be a whole number (got {raw!r})")
        return JSONResponse(explorer(request).random_run(keys(request), int(raw)))

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    routes = [
        Route("/", page),
        Route("/api/info", api_info),
        Route("/api/messages", api_messages),
        Route("/api/state", api_state),
        Route("/api/jump", api_jump),
        Route("/api/random", api_random),
        Mount("/assets", StaticFiles(directory=str(ASSETS)), name="assets"),
    ]
    handlers: dict[Any, Any] = {
        BadRequest: bad_request,
        PathError: bad_request,
        HTTPException: http_error,
    }
    return Starlette(routes=routes, exception_handlers=handlers)
