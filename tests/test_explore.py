"""`tcpspec explore`: the JSON API (Starlette's test client), bad requests, URL replay, the
precomputed site version, and the command line."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tcpspec.checks.explicit import explore
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.trace import endpoint_text, row
from tcpspec.cli import app
from tcpspec.diagrams import words
from tcpspec.explorer import page, static
from tcpspec.explorer.core import Explorer, PathError
from tcpspec.explorer.server import create_app
from tcpspec.i18n import gettext
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds

HANDSHAKE = [
    "c.user.open_active",
    "deliver.cs.syn.100",
    "deliver.sc.synack.200.101",
    "deliver.cs.ack.101.201",
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app("close", Bounds(), max_path=40))


def state(client: TestClient, path: list[str], **q: str) -> dict:
    r = client.get("/api/state", params={"path": ",".join(path), **q})
    assert r.status_code == 200, r.text
    return r.json()


def test_page_and_assets_are_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and 'src="assets/explore.js"' in r.text
    assert client.get("/assets/explore.js").status_code == 200
    assert client.get("/assets/explore.css").status_code == 200
    info = client.get("/api/info").json()
    assert info["scenario"] == "close" and "no-time-wait" in info["mutants"]
    assert {p["id"] for p in info["properties"]} == set(PROPERTIES)
    assert info["signature"] == ""  # the default bounds
    assert page.bounds_signature(Bounds(msl=2, loss=False)) == "loss=False,msl=2"
    assert page.bounds_signature(Bounds(time_wait=4, msl=2)) == "msl=2"  # 4 is 2*MSL anyway


def test_the_handshake_step_by_step_shows_the_seeds_numbers(client: TestClient) -> None:
    v = state(client, [])
    assert [m["key"] for m in v["moves"]] == ["c.user.open_active"]
    assert [e["state"] for e in v["state"]["endpoints"]] == ["CLOSED", "LISTEN"]
    v = state(client, HANDSHAKE[:1])
    assert v["state"]["channels"][0]["segments"] == [
        {"text": "SYN seq=100", "age": 0, "old": False}
    ]
    kinds = {m["key"]: m["kind"] for m in v["moves"]}
    assert kinds == {
        "deliver.cs.syn.100": "deliver",
        "lose.cs.syn.100": "lose",
        "dup.cs.syn.100": "duplicate",
        "tick": "tick",
    }
    syn = next(m for m in state(client, HANDSHAKE[:1])["moves"] if m["kind"] == "deliver")
    assert syn["cases"][0]["name"] == "listen.syn" and syn["cases"][0]["rfc"].startswith("RFC")
    assert syn["sent"] == "SYN+ACK seq=200 ack=101"
    v = state(client, HANDSHAKE)
    c, s = v["state"]["endpoints"]
    assert (c["state"], s["state"]) == ("ESTABLISHED", "ESTABLISHED")
    assert c["tcb"] == {"ISS": 100, "IRS": 200, "SND.UNA": 101, "SND.NXT": 101, "RCV.NXT": 201}
    assert s["tcb"] == {"ISS": 200, "IRS": 100, "SND.UNA": 201, "SND.NXT": 201, "RCV.NXT": 101}
    assert c["app"]["calls"] == ["user.open_active"]
    assert v["steps"][-1]["status"]["handshake.both_established"] == "reached"
    en, ko = v["chart"]["en"], v["chart"]["ko"]
    assert en.startswith("<?xml") and "SYN+ACK seq=200 ack=101" in en
    # the chart speaks the page's language, as `tcpspec --lang ko chart` does
    assert ko.startswith("<?xml") and "SYN+ACK seq=200 ack=101" in ko and ko != en


def test_moves_are_exactly_the_models_successors() -> None:
    ex = Explorer("close", Bounds())
    m = make_model("close", Bounds())
    w = m.initial()
    for key in ["c.user.open_active", "dup.cs.syn.100", "deliver.cs.syn.100", "tick"]:
        moves = ex.moves(w)
        assert sorted((mv.label, mv.world) for mv in moves) == sorted(m.successors(w))
        assert len({mv.key for mv in moves}) == len(moves)  # keys tell moves apart
        w = next(mv.world for mv in moves if mv.key == key)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"path": "c.user.open_active,no.such.move"}, "move 2: no move 'no.such.move' here"),
        ({"path": "c.user.open_active,<script>"}, "is not a move key"),
        ({"path": ",".join(["tick"] * 41)}, "at most 40 (--max-path)"),
        ({"path": "", "scenario": "nope"}, "unknown scenario 'nope'"),
        ({"path": "", "mutant": "nope"}, "unknown mutant 'nope'"),
    ],
)
def test_bad_requests_get_a_clear_json_error(client: TestClient, query: dict, message: str) -> None:
    r = client.get("/api/state", params=query)
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert state(client, HANDSHAKE[:2])["state"]["endpoints"][1]["state"] == "SYN_RECEIVED"


def test_other_bad_requests(client: TestClient) -> None:
    for url, message in [
        ("/api/jump?property=nope", "unknown property 'nope'"),
        ("/api/jump?property=no_deadlock&from=sideways", "from must be start or here"),
        ("/api/random?seed=-3", "seed must be a whole number"),
        ("/api/messages?lang=fr", "unknown language 'fr'"),
        ("/api/state?path=" + "x" * 9000, "longer than"),
    ]:
        r = client.get(url)
        assert r.status_code == 400 and message in r.json()["error"], (url, r.text)
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}
    assert client.get("/api/info").status_code == 200  # still running


def test_jump_to_the_no_time_wait_counterexample_is_the_engines(client: TestClient) -> None:
    prop = "timewait.covers_fin_retransmit"
    r = client.get("/api/jump", params={"property": prop, "mutant": "no-time-wait"}).json()
    m = make_model("close", Bounds(), "no-time-wait")
    engine = explore(m, (PROPERTIES[prop],), stop_at=(prop,)).verdicts[prop].trace
    assert engine is not None and len(r["path"]) == len(engine.steps) == 10
    v = state(client, r["path"], mutant="no-time-wait")
    rows = [row(m, k, st) for k, st in enumerate(engine.steps, 1)]
    assert [s["move"]["after"] for s in v["steps"]] == [
        {"client": r["client"], "server": r["server"]} for r in rows
    ]
    # each move is told in the command line's words (`tcpspec trace`'s event column)
    assert [s["move"]["what"]["en"] for s in v["steps"]] == [r["event"] for r in rows]
    korean = words.rows(m, engine, "ko")[1:]
    assert [s["move"]["what"]["ko"] for s in v["steps"]] == [r["event"] for r in korean]
    assert v["steps"][6]["move"]["what"]["ko"] == "CLOSE 호출 (CLOSE-WAIT에서)"
    assert v["steps"][-1]["step_status"][prop] == "violated"
    assert v["title"] == {"en": "close (mutant no-time-wait)", "ko": "close (뮤턴트 no-time-wait)"}
    assert v["state"]["endpoints"][1]["summary"] == "CLOSED (reset)"
    # from the current state: the prefix is kept, the rest is a shortest continuation
    here = client.get(
        "/api/jump",
        params={
            "property": prop,
            "mutant": "no-time-wait",
            "from": "here",
            "path": ",".join(r["path"][:5]),
        },
    )
    assert here.json()["path"][:5] == r["path"][:5] and len(here.json()["path"]) == 10
    # correct TCP: the property holds, the path stays as it was
    ok = client.get("/api/jump", params={"property": prop, "path": "c.user.open_active"}).json()
    assert ok == {"path": ["c.user.open_active"], "note": "holds from here"}


def test_a_violated_invariant_is_shown_in_the_state() -> None:
    c = TestClient(create_app("handshake", Bounds(), "two-way-handshake"))
    prop = "handshake.three_messages"
    path = c.get("/api/jump", params={"property": prop}).json()["path"]
    v = c.get("/api/state", params={"path": ",".join(path)}).json()
    assert v["steps"][-1]["status"][prop] == "violated"
    assert all(s["status"][prop] == "holds" for s in v["steps"][:-1])


def test_the_random_generator_is_mulberry32_as_the_page_draws_it() -> None:
    """The server's and the site version's random runs agree because both draw mulberry32:
    its first numbers for seed 1 (as the reference, JavaScript, implementation gives them)."""
    from tcpspec.explorer.core import Mulberry32

    r = Mulberry32(1)
    assert [round(r.next(), 6) for _ in range(3)] == [0.627074, 0.002736, 0.527447]
    assert all(0 <= Mulberry32(s).below(5) < 5 for s in range(100))


def test_random_runs_are_reproducible_and_follow_the_model(client: TestClient) -> None:
    runs = [client.get("/api/random", params={"seed": s}).json() for s in (1, 1, 2, 3)]
    assert runs[0] == runs[1]
    assert len({tuple(r["path"]) for r in runs}) >= 2
    for r in runs:
        v = state(client, r["path"])  # replays through the model
        assert r["ended"] == (not v["moves"])
        if r["ended"]:
            assert v["steps"][-1]["status"]["no_deadlock"] == "end"


def test_every_ui_text_has_its_korean_and_the_assets_ask_for_no_other() -> None:
    assets = page.ASSETS
    js = (assets / "explore.js").read_text()
    html = (assets / "index.html").read_text()
    asked = set(re.findall(r'(?<![\w.])t\("([^"]+)"\)', js))
    asked |= set(re.findall(r'data-t="([^"]+)"', html + js))
    statuses = js.split("const STATUS_TEXT = {")[1].split("};")[0]
    asked |= set(re.findall(r': "([^"]+)"', statuses))
    for heads in re.findall(r"\[([^\]]+)\]\.map\(\(h\) => el\(\"th\"", js):
        asked |= set(re.findall(r'"([^"]+)"', heads))
    assert asked - set(page.UI) == set()
    untranslated = [s for s in page.UI if gettext(s, "ko") == s and s not in ("tcpspec explore",)]
    assert untranslated == []
    ko = TestClient(create_app("close", Bounds())).get("/api/messages?lang=ko").json()
    assert ko["Current state"] == gettext("Current state", "ko") != "Current state"


def test_static_graph_is_the_models_and_deterministic(tmp_path: Path) -> None:
    ex = Explorer("handshake", Bounds())
    a, b = tmp_path / "a", tmp_path / "b"
    doc = static.write(ex, a)
    static.write(Explorer("handshake", Bounds()), b)
    for f in ("index.html", "graph.js", "assets/explore.js", "assets/explore.css"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert doc["states"] == explore(make_model("handshake", Bounds()), ()).stats.states
    g = json.loads((a / "graph.js").read_text().split("=", 1)[1].rstrip().rstrip(";"))
    n = 0
    for key in HANDSHAKE:  # the handshake, followed in the precomputed graph
        n = next(
            g["edges"][e]["target"] for e in g["states"][n]["moves"] if g["edges"][e]["key"] == key
        )
    assert [e["state"] for e in g["views"][g["states"][n]["view"]]["endpoints"]] == [
        "ESTABLISHED",
        "ESTABLISHED",
    ]
    assert g["jumps"]["handshake.both_established"] == {"path": HANDSHAKE}
    with pytest.raises(static.TooLarge, match="more than 100 states"):
        static.graph(Explorer("close", Bounds()), limit=100)


def test_replay_refuses_what_the_model_does_not_allow() -> None:
    ex = Explorer("close", Bounds(), max_path=3)
    with pytest.raises(PathError, match=r"move 1: no move 'tick' here; possible: c\.user"):
        ex.replay(["tick"])
    with pytest.raises(PathError, match="at most 3"):
        ex.replay(HANDSHAKE)


runner = CliRunner()


def test_cli_static_and_its_errors(tmp_path: Path) -> None:
    out = tmp_path / "hs"
    r = runner.invoke(app, ["explore", "--static", str(out), "--scenario", "handshake"])
    assert r.exit_code == 0, r.output
    assert re.search(r"wrote .*index.html: 198 states, 545 moves", r.output)
    assert (out / "graph.js").is_file()
    for args, message in [
        (["--static", str(tmp_path / "c"), "--scenario", "connect-close"], "more than 5,000"),
        (["--scenario", "nope"], "unknown scenario"),
        (["--mutant", "nope"], "unknown mutant"),
        (["--port", "70000"], "--port must be between"),
        (["--charts"], "--charts goes with --static"),
        (["--host", "not-an-address"], "is not an IP address"),
        (["--max-path", "0"], "--max-path must be at least 1"),
    ]:
        r = runner.invoke(app, ["explore", *args])
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output, (args, r.output)


def test_the_documented_command_serves_on_127_0_0_1_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcpspec", "explore", "--scenario", "handshake", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.match(r"tcpspec explore: (http://127\.0\.0\.1:\d+/)  \(Ctrl-C stops it\)", line)
        assert found, line
        with urllib.request.urlopen(found.group(1) + "api/state?path=c.user.open_active") as r:
            doc = json.loads(r.read())
        assert doc["scenario"] == "handshake"
        assert doc["state"]["endpoints"][0]["state"] == "SYN_SENT"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_every_chart_of_the_site_opens_on_its_run(tmp_path: Path) -> None:
    """The study site's "try it yourself": each chart small enough gets a precomputed explorer,
    and its link replays the chart's run to the chart's last state."""
    from tcpspec.diagrams.derive import CHARTS, chart_trace

    links = static.write_charts(tmp_path)
    assert json.loads((tmp_path / "charts.json").read_text()) == links
    too_large = {c.name for c in CHARTS if c.scenario == "connect-close"}
    assert set(links) == {c.name for c in CHARTS} - too_large
    graphs: dict[str, dict] = {}
    for c in CHARTS:
        if c.name not in links:
            continue
        folder, frag = links[c.name].split("/index.html#")
        if folder not in graphs:
            text = (tmp_path / folder / "graph.js").read_text()
            graphs[folder] = json.loads(text.split("=", 1)[1].rstrip().rstrip(";"))
        g = graphs[folder]
        keys = dict(p.split("=", 1) for p in frag.split("&"))["path"].split(",")
        n = 0
        for key in keys:
            n = next(
                g["edges"][e]["target"]
                for e in g["states"][n]["moves"]
                if g["edges"][e]["key"] == key
            )
        last = chart_trace(c).worlds()[-1]
        shown = g["views"][g["states"][n]["view"]]["endpoints"]
        assert [e["summary"] for e in shown] == [endpoint_text(e) for e in last.eps], c.name


_ENDPOINTS = ["/api/info", "/api/messages", "/api/state", "/api/jump", "/api/random", "/"]
_PARAMS = ["path", "seed", "property", "from", "scenario", "mutant", "lang", "x"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.sampled_from(_ENDPOINTS) | st.text(max_size=20).map(lambda t: "/api/" + quote(t)),
    query=st.lists(
        st.tuples(
            st.sampled_from(_PARAMS) | st.text(max_size=5),
            st.sampled_from([*HANDSHAKE, "", "start", "here", "ko", "close", "1"])
            | st.text(max_size=12),
        ),
        max_size=4,
    ),
)
def test_every_parameter_is_validated_never_a_500(
    client: TestClient, where: str, query: list[tuple[str, str]]
) -> None:
    """Random paths and query strings (unicode digits, unknown names, broken keys): a JSON
    answer or a JSON 400/404 naming what was wrong, never an internal error."""
    import urllib.parse

    r = client.get(where, params=urllib.parse.urlencode(query))
    assert r.status_code in (200, 400, 404, 405), (where, query, r.status_code, r.text[:200])
    if r.status_code == 400:
        assert r.json()["error"]


def test_a_seed_of_unicode_digits_is_a_bad_request(client: TestClient) -> None:
    r = client.get("/api/random?seed=%C2%B2")  # "²": a digit to str.isdigit, not to int()
    assert r.status_code == 400 and "seed must be a whole number" in r.json()["error"]
