"""`tcpspec explore` in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium) against a server on 127.0.0.1. Each test clicks as a
student would and checks, after every click, that the page shows the state the model computes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium
from test_explore import HANDSHAKE

from tcpspec.checks.explicit import explore
from tcpspec.checks.properties import PROPERTIES
from tcpspec.checks.trace import endpoint_text
from tcpspec.diagrams.derive import CHARTS, chart_trace
from tcpspec.explorer import static
from tcpspec.explorer.core import Explorer
from tcpspec.i18n import gettext
from tcpspec.spec.build import make_model
from tcpspec.spec.model import Bounds


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The explorer served by uvicorn on 127.0.0.1, on a free port, stopped at the end."""
    import uvicorn

    from tcpspec.explorer.server import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app("close", Bounds()), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def wait(driver: Any, path: list[str], lang: str = "en", since: str = "") -> None:
    """Until the page has shown the state after ``path`` (it marks the body when it has)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> bool:
        body = d.find_element("tag name", "body")
        return (
            body.get_attribute("data-ready") not in (None, "", since)
            and body.get_attribute("data-path") == ",".join(path)
            and body.get_attribute("data-lang") == lang
        )

    WebDriverWait(driver, 20).until(shown)
    assert not driver.find_element("id", "error").is_displayed(), driver.find_element(
        "id", "error"
    ).text


def ready(driver: Any) -> str:
    return str(driver.find_element("tag name", "body").get_attribute("data-ready"))


def check_page_shows_the_model(driver: Any, ex: Explorer, path: list[str]) -> None:
    """The endpoints' states, their TCBs, what is in flight and the moves offered are the
    model's, after following ``path`` through it."""
    steps = ex.replay(path)
    w = ex.world(steps)
    for i, name in enumerate(("client", "server")):
        assert driver.find_element("id", f"state-{name}").text == endpoint_text(w.eps[i])
        card = driver.find_element("css selector", f".endpoint.{name} .tcb")
        cells = [td.text for td in card.find_elements("css selector", "td")]
        e = w.eps[i]
        want = [ex.model.sides[i].iss, e.irs, e.snd_una, e.snd_nxt, e.rcv_nxt]
        assert cells == [str(v) for v in want]
        chan = driver.find_element("css selector", f'.channel[data-from="{name}"]')
        segs = [s.text.split(" ")[0] for s in chan.find_elements("css selector", ".seg")]
        assert segs == [s.describe().split(" ")[0] for s in w.chans[i]]
    offered = [
        b.get_attribute("data-key") for b in driver.find_elements("css selector", "button.move")
    ]
    assert offered == [m.key for m in ex.moves(w)]


def click_through(driver: Any, ex: Explorer, path: list[str], lang: str = "en") -> None:
    for k, key in enumerate(path):
        since = ready(driver)
        driver.find_element("css selector", f'button.move[data-key="{key}"]').click()
        wait(driver, path[: k + 1], lang, since)
        check_page_shows_the_model(driver, ex, path[: k + 1])


def status(driver: Any, prop: str) -> str:
    cell = driver.find_element("css selector", f'tr[data-prop="{prop}"] .status')
    return str(cell.get_attribute("data-status"))


def test_the_3_way_handshake_by_clicking(browser: Any, base: str) -> None:
    browser.get(base + "#scenario=handshake&path=&lang=en")
    wait(browser, [])
    ex = Explorer("handshake", Bounds())
    check_page_shows_the_model(browser, ex, [])
    click_through(browser, ex, HANDSHAKE)
    assert status(browser, "handshake.both_established") == "reached"
    assert status(browser, "handshake.three_messages") == "holds"
    rows = browser.find_elements("css selector", "table.steps tr[data-step]")
    assert len(rows) == 4 and "SYN+ACK seq=200 ack=101" in rows[1].text
    svg = browser.find_element("css selector", "#chart svg")
    assert "ACK seq=101 ack=201" in svg.get_attribute("innerHTML")
    # back and forward
    since = ready(browser)
    browser.find_element("id", "back").click()
    wait(browser, HANDSHAKE[:3], since=since)
    check_page_shows_the_model(browser, ex, HANDSHAKE[:3])
    since = ready(browser)
    browser.find_element("id", "forward").click()
    wait(browser, HANDSHAKE, since=since)


def test_the_no_time_wait_counterexample_by_clicking(browser: Any, base: str) -> None:
    prop = "timewait.covers_fin_retransmit"
    ex = Explorer("close", Bounds(), "no-time-wait")
    m = make_model("close", Bounds(), "no-time-wait")
    trace = explore(m, (PROPERTIES[prop],), stop_at=(prop,)).verdicts[prop].trace
    assert trace is not None
    path = ex.keys_of(m.initial(), trace)
    browser.get(base + "#scenario=close&mutant=no-time-wait&path=&lang=en")
    wait(browser, [])
    click_through(browser, ex, path)
    alert = browser.find_element("id", "alert")
    assert alert.is_displayed() and prop in alert.text
    assert status(browser, prop) == "violated"
    assert browser.find_element("id", "state-server").text == "CLOSED (reset)"
    # the jump button finds the same counterexample from the start
    browser.get(base + "#scenario=close&mutant=no-time-wait&path=&lang=en")
    wait(browser, [])
    since = ready(browser)
    browser.find_element(
        "css selector", f'tr[data-prop="{prop}"] button.jump[data-from="start"]'
    ).click()
    wait(browser, path, since=since)


def test_a_shared_url_replays_the_situation(browser: Any, base: str) -> None:
    chart = next(c for c in CHARTS if c.name == "lost-last-ack")  # seed 004, teardown case 2
    ex = Explorer(chart.scenario, chart.bounds)
    t = chart_trace(chart)
    path = ex.keys_of(t.initial, t)
    # the server runs at the default bounds: the chart's run is one of its runs too
    url = base + f"#scenario=close&path={','.join(path)}&lang=en"
    browser.get("about:blank")
    browser.get(url)
    wait(browser, path)
    check_page_shows_the_model(browser, Explorer("close", Bounds()), path)
    assert status(browser, "timewait.fin_retransmit_reaches") in ("not-here", "reached")
    assert browser.current_url.endswith(url.split("/", 3)[3])
    # a random run is the server's, replayed
    since = ready(browser)
    browser.find_element("id", "restart").click()
    wait(browser, [], since=since)
    since = ready(browser)
    browser.find_element("id", "random").click()
    want = Explorer("close", Bounds()).random_run([], 1)["path"]
    wait(browser, want, since=since)


def test_a_bad_url_gets_a_clear_message(browser: Any, base: str) -> None:
    browser.get(base + "#scenario=close&path=c.user.open_active,no.such.move&lang=en")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(lambda d: d.find_element("id", "error").is_displayed())
    assert "move 2: no move 'no.such.move' here" in browser.find_element("id", "error").text
    # an address made for other bounds says so, rather than failing on some move
    browser.get(base + "#scenario=close&path=c.user.open_active&bounds=msl=2&lang=en")
    WebDriverWait(browser, 20).until(
        lambda d: "other bounds: msl=2" in d.find_element("id", "error").text
    )
    assert "runs with: the defaults" in browser.find_element("id", "error").text


def test_switching_language(browser: Any, base: str) -> None:
    browser.get(base + "#scenario=handshake&path=c.user.open_active&lang=en")
    wait(browser, ["c.user.open_active"])
    since = ready(browser)
    browser.find_element("id", "lang-ko").click()
    wait(browser, ["c.user.open_active"], "ko", since)
    assert browser.find_element("tag name", "html").get_attribute("lang") == "ko"
    assert "lang=ko" in browser.current_url
    heads = [h.text for h in browser.find_elements("tag name", "h2")]
    assert gettext("Current state", "ko") in heads and "Current state" not in heads
    who = browser.find_element("css selector", "button.move .who").text
    assert who == gettext("server", "ko")
    check_page_shows_the_model(browser, Explorer("handshake", Bounds()), ["c.user.open_active"])
    since = ready(browser)
    browser.find_element("id", "lang-en").click()
    wait(browser, ["c.user.open_active"], "en", since)
    assert "Current state" in [h.text for h in browser.find_elements("tag name", "h2")]


def test_phone_width_has_no_sideways_scrolling(browser: Any, base: str) -> None:
    browser.set_window_size(390, 844)
    try:
        for lang in ("en", "ko"):
            browser.get(base + f"#scenario=close&path={','.join(HANDSHAKE)}&lang={lang}")
            wait(browser, HANDSHAKE, lang)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            inner = browser.execute_script("return window.innerWidth")
            assert width <= inner, (lang, width, inner)
    finally:
        browser.set_window_size(1280, 900)


def test_the_site_version_without_a_server(browser: Any, tmp_path: Path) -> None:
    ex = Explorer("handshake", Bounds())
    static.write(ex, tmp_path / "hs")
    browser.get((tmp_path / "hs" / "index.html").as_uri() + "#scenario=handshake&path=&lang=en")
    wait(browser, [])
    click_through(browser, ex, HANDSHAKE)
    assert status(browser, "handshake.both_established") == "reached"
    # from here: the shortest way to a lost-ACK counterexample is not needed; a witness is
    browser.get((tmp_path / "hs" / "index.html").as_uri() + "#scenario=handshake&path=&lang=ko")
    wait(browser, [], "ko")
    since = ready(browser)
    browser.find_element(
        "css selector", 'tr[data-prop="handshake.both_established"] button.jump[data-from="here"]'
    ).click()
    wait(browser, HANDSHAKE, "ko", since)
    # a random run of the site version is the server's for the same seed (one generator)
    for seed in ("1", "7"):
        since = ready(browser)
        browser.find_element("id", "restart").click()
        wait(browser, [], "ko", since)
        box = browser.find_element("id", "seed")
        box.clear()
        box.send_keys(seed)
        since = ready(browser)
        browser.find_element("id", "random").click()
        wait(browser, ex.random_run([], int(seed))["path"], "ko", since)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explore-site")
    static.write_charts(root)
    return root


@pytest.mark.parametrize(
    "chart", [c for c in CHARTS if c.scenario != "connect-close"], ids=lambda c: c.name
)
def test_each_seed_situation_opens_from_its_scenario_page(
    browser: Any, site: Path, chart: Any
) -> None:
    """What a scenario page links to (``explore/<chart>.html``) opens the precomputed explorer
    on the chart's run: the page shows the chart's last state, in the language asked for."""
    lang = "ko" if chart.name in ("lost-last-ack", "stale-syn") else "en"
    browser.get((site / f"{chart.name}.html").as_uri() + f"#lang={lang}")
    ex = Explorer(chart.scenario, chart.bounds, chart.mutant or None)
    t = chart_trace(chart)
    path = ex.keys_of(t.initial, t)
    wait(browser, path, lang)
    check_page_shows_the_model(browser, ex, path)
