"""`tcpspec explore`: step through the model in a browser (tcpspec/explorer/)."""

from __future__ import annotations

import ipaddress
import sys
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from tcpspec.cli.app import Mutant, app, bound_options, check_mutant, check_scenarios, fail
from tcpspec.explorer.static import STATIC_LIMIT
from tcpspec.spec.model import Bounds

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command("explore")
@bound_options
def explore_cmd(
    scenario: Annotated[str, typer.Option(help="The scenario the page opens on.")] = "close",
    mutant: Mutant = None,
    port: Annotated[int, typer.Option(help="The port to serve on (0: any free one).")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            help="The address to serve on. Anything but 127.0.0.1 opens the explorer "
            "to other machines: only on a network you trust."
        ),
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the web browser.")
    ] = False,
    max_path: Annotated[
        int, typer.Option(help="The longest path (in moves) a URL may ask for.")
    ] = 200,
    static: Annotated[
        Path | None,
        typer.Option(
            "--static",
            metavar="DIR",
            help="Write a self-contained page with the "
            "precomputed state graph into DIR instead of serving (small models only).",
        ),
    ] = None,
    charts: Annotated[
        bool,
        typer.Option(
            "--charts",
            help="With --static: one page for each chart of the study site "
            "(at the charts' own bounds), and DIR/charts.json linking each chart's run.",
        ),
    ] = False,
    max_states: Annotated[
        int, typer.Option(help="With --static: refuse a model with more states than this.")
    ] = STATIC_LIMIT,
    *,
    bounds: Bounds,
) -> None:
    """Step through the model in a web browser: take any move (lose this ACK, duplicate that
    FIN), jump to any counterexample, share the situation by its URL."""
    check_mutant(mutant)
    check_scenarios([scenario])
    if max_path < 1:
        fail(f"--max-path must be at least 1 (got {max_path})")
    from tcpspec.explorer.core import Explorer

    if static is not None:
        from tcpspec.explorer import static as site

        if static.exists() and not static.is_dir():
            fail(f"--static {static}: not a directory")
        try:
            if charts:
                links = site.write_charts(static, max_states)
                print(f"wrote {len(links)} chart explorers into {static} (links: charts.json)")
            else:
                doc = site.write(Explorer(scenario, bounds, mutant, max_path), static, max_states)
                print(f"wrote {static}/index.html: {doc['states']} states, {doc['moves']} moves")
        except site.TooLarge as e:
            fail(str(e))
        except OSError as e:
            fail(f"cannot write {static}: {e.strerror}")
        return
    if charts:
        fail("--charts goes with --static DIR")
    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535 (got {port})")
    if host not in _LOOPBACK:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            fail(f"--host {host!r} is not an IP address")
        print(
            f"warning: serving on {host}: other machines can reach this explorer", file=sys.stderr
        )
    import socket

    import uvicorn

    from tcpspec.explorer.server import create_app

    server_app = create_app(scenario, bounds, mutant, max_path)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # from now on a browser's request waits for the server, not refused
    except OSError as e:
        fail(f"cannot serve on {host}:{port}: {e.strerror}")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}/"
    print(f"tcpspec explore: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(server_app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
