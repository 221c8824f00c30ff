"""The built study site where people open it: served under a sub-path, and opened as files;
and, in real headless Chromium at a desktop and a phone width in both languages, legible:
every image loads, every page has its diagrams, no table overflows its column, the page never
scrolls sideways, and search answers in the page's language.

Set TCPSPEC_SCREENSHOTS=DIR to keep a screenshot of every page (to look at them).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from browser import chromium
from conftest import build_site

ROOT = Path(__file__).resolve().parent.parent
SUB = "study/tcpspec"  # the sub-path the site is served under
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as `make docs` builds it, for the sub-path it is served under."""
    return build_site(tmp_path_factory.mktemp("www") / SUB, f"http://127.0.0.1/{SUB}/")


def pages(site: Path) -> list[str]:
    """Every page of the site (both languages), relative to its root."""
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "assets" not in p.parts and "diagrams" not in p.parts
    )


# -- without a browser: links as files and under the sub-path ----------------------------------

HREF = re.compile(r'(?:href|src)="([^"#?]*)[^"]*"')


def test_every_link_is_a_file_relative_to_its_page(site: Path) -> None:
    """Opened as files or under any sub-path, a link must be relative and name a file that
    exists: a link to a folder shows a directory listing, an absolute one leaves the site."""
    checked = 0
    for page in pages(site):
        if page.endswith("404.html"):
            continue  # served for any path, it links from the site's root (below)
        html = (site / page).read_text(encoding="utf-8")
        for link in HREF.findall(html):
            if not link or urlsplit(link).scheme in ("http", "https", "data", "mailto"):
                continue
            assert not link.startswith("/"), f"{page}: absolute link {link}"
            target = (site / page).parent / unquote(link)
            assert target.is_file(), f"{page}: {link} is not a file"
            checked += 1
    assert checked > 1000


def test_the_rfcs_notation_is_shown_not_swallowed_as_html(site: Path) -> None:
    """<SEQ=ISS><CTL=SYN> in a rule's text must reach the reader, not become unknown tags."""
    for page in ("scenarios/handshake.html", "ko/scenarios/handshake.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert "&lt;SEQ=ISS&gt;&lt;CTL=SYN&gt;" in html, page
        assert "<SEQ=" not in html, page


def test_language_links_go_to_the_same_page(site: Path) -> None:
    for page in ("index.html", "scenarios/close.html", "properties/no_deadlock.html"):
        en = (site / page).read_text(encoding="utf-8")
        ko = (site / "ko" / page).read_text(encoding="utf-8")
        depth = "../" * page.count("/")
        assert f'href="{depth}ko/{page}" hreflang="ko"' in en
        assert f'href="../{depth}{page}" hreflang="en"' in ko


def test_the_404_page_and_the_sitemap_know_the_sub_path(site: Path) -> None:
    for page, lang in (("404.html", "en"), ("ko/404.html", "ko")):
        html = (site / page).read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in html and 'rel="alternate"' not in html
        # whatever address it is served for, it says so in both languages
        assert "404 - Not found" in html and "페이지를 찾을 수 없습니다" in html
        links = [x for x in HREF.findall(html) if x and not urlsplit(x).scheme]
        assert links and all(x.startswith(f"/{SUB}/") for x in links), links[:5]
        for x in links:
            assert (site / x[len(SUB) + 2 :]).is_file(), x
        home = f"/{SUB}/index.html" if lang == "en" else f"/{SUB}/ko/index.html"
        assert f'href="{home}" title="tcpspec"' in html
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "None" not in sitemap
    assert f"<loc>http://127.0.0.1/{SUB}/ko/scenarios/close-seeds.html</loc>" in sitemap


def test_search_has_one_index_per_language(site: Path) -> None:
    import json

    en = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    ko = json.loads((site / "ko" / "search" / "search_index.json").read_text(encoding="utf-8"))
    hangul = re.compile("[\uac00-\ud7a3]")
    assert en["docs"] and ko["docs"]
    assert not any(d["location"].startswith("ko/") for d in en["docs"] + ko["docs"])
    assert not any(hangul.search(d["title"]) for d in en["docs"])
    assert sum(bool(hangul.search(d["text"])) for d in ko["docs"]) > len(ko["docs"]) / 2
    for d in ko["docs"]:  # each location is a Korean page, relative to site/ko
        assert (site / "ko" / d["location"].split("#")[0]).is_file(), d["location"]


# -- in the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """A static server of the site under its sub-path, on 127.0.0.1 (any free port)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site.parents[1]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{SUB}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


#: What a page must satisfy, measured in the page: images loaded, tables inside their column
#: (a wide one scrolls in its own box), nothing wider than the window.
MEASURE = """
const article = document.querySelector('article.md-content__inner') || document.body;
// the column: the content area (a scrolling table box reaches into the article's padding)
const col = (article.closest('.md-content') || article).getBoundingClientRect();
const imgs = [...article.querySelectorAll('img')].map(i => ({
  src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
  width: i.getBoundingClientRect().width}));
const tables = [...article.querySelectorAll('table')].map(t => {
  let box = t.parentElement;
  while (box && box !== article && getComputedStyle(box).overflowX === 'visible') {
    box = box.parentElement;
  }
  const r = (box || article).getBoundingClientRect();
  return {right: Math.round(r.right), colRight: Math.round(col.right + 1),
          scrolls: box !== article && getComputedStyle(box).overflowX !== 'visible'};
});
const broken = [...article.querySelectorAll('table code')].filter(
  c => c.getClientRects().length > 1).map(c => c.textContent);
return {imgs, tables, broken, lang: document.documentElement.lang,
        pageWidth: document.documentElement.scrollWidth, window: window.innerWidth};
"""


def _wait_images(b: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(b, 20).until(
        lambda d: d.execute_script(
            "return [...document.images].every(i => i.complete)"
            " && document.readyState === 'complete'"
        )
    )


def _images_in_source(site: Path, page: str) -> list[str]:
    html = (site / page).read_text(encoding="utf-8")
    article = html.split('<article class="md-content__inner', 1)[-1].split("</article>", 1)[0]
    return re.findall(r'<img[^>]*src="([^"]*)"', article)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_is_legible_in_the_browser(
    site: Path, server: str, browser: Any, width: str
) -> None:
    shots = os.environ.get("TCPSPEC_SCREENSHOTS")
    browser.set_window_size(*WIDTHS[width])
    problems: list[str] = []
    seen = 0
    for page in pages(site):
        if page.endswith("404.html"):
            continue
        browser.get(urljoin(server, page))
        _wait_images(browser)
        m = browser.execute_script(MEASURE)
        want = _images_in_source(site, page)
        lang = "ko" if page.startswith("ko/") else "en"
        if m["lang"] != lang:
            problems.append(f"{page}: <html lang={m['lang']}>")
        if len(m["imgs"]) != len(want):
            problems.append(f"{page}: {len(m['imgs'])} images shown of {len(want)}")
        for img in m["imgs"]:
            if not img["ok"] or img["width"] < 100:
                problems.append(f"{page}: image {img['src']} did not load ({img})")
            chart = any(k in img["src"] for k in ("/scenarios/", "/mutants/", "state-machine"))
            if lang == "ko" and chart and "/ko/" not in img["src"]:
                problems.append(f"{page}: an English chart {img['src']} on a Korean page")
        for t in m["tables"]:
            if t["right"] > t["colRight"]:
                problems.append(f"{page}: a table overflows its column ({t})")
        if m["broken"]:
            problems.append(f"{page}: identifiers broken across lines: {m['broken'][:3]}")
        if m["pageWidth"] > m["window"] + 1:
            problems.append(f"{page}: the page scrolls sideways ({m['pageWidth']} px)")
        if shots:
            out = Path(shots) / width / (page.replace("/", "__") + ".png")
            out.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(out))
        seen += 1
    assert seen >= 60
    assert not problems, "\n".join(problems)


def test_charts_are_on_their_pages(site: Path) -> None:
    """Every scenario and mutant page shows its chart, in its own language."""
    from tcpspec.diagrams import derive
    from tcpspec.spec.mutants import MUTANTS

    for c in derive.CHARTS:
        assert f"../diagrams/scenarios/{c.name}.svg" in _images_in_source(
            site, f"scenarios/{c.name}.html"
        )
        assert f"../../diagrams/ko/scenarios/{c.name}.svg" in _images_in_source(
            site, f"ko/scenarios/{c.name}.html"
        )
    for lang, prefix, sub in (("en", "", ""), ("ko", "ko/", "../")):
        shown = _images_in_source(site, f"{prefix}mutants.html")
        ko = "ko/" if lang == "ko" else ""
        for n in MUTANTS:
            assert f"{sub}diagrams/{ko}mutants/{n}.svg" in shown, (lang, n)


def test_opened_as_files_navigation_leads_to_pages(site: Path, browser: Any) -> None:
    """file://: following the navigation and the language link opens pages, never a folder."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(*WIDTHS["desktop"])
    browser.get((site / "index.html").as_uri())
    links = [
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link")
    ]
    links = [x for x in links if x and x.startswith("file:")]
    assert len(links) >= 20
    korean = browser.find_element(By.CSS_SELECTOR, 'a[hreflang="ko"]').get_attribute("href")
    for href in [*links[:: max(1, len(links) // 8)], korean]:
        browser.get(href)
        assert browser.current_url.endswith(".html"), href
        assert browser.find_elements(By.CSS_SELECTOR, "article.md-content__inner h1"), href


def _settled_hits(browser: Any) -> list[str]:
    """The search results, once they stop changing (they are redrawn as the index loads)."""
    from selenium.webdriver.support.ui import WebDriverWait

    read = "return [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)"
    last: list[list[str]] = [[]]

    def settled(d: Any) -> bool:
        now = d.execute_script(read)
        same = bool(now) and now == last[0]
        last[0] = now
        return same

    WebDriverWait(browser, 20, poll_frequency=0.5).until(settled)
    return last[0]


def test_search_answers_in_the_page_language(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(*WIDTHS["desktop"])
    for page, query in (
        ("index.html", "TIME-WAIT"),
        ("ko/index.html", "TIME-WAIT"),
        ("ko/index.html", "핸드셰이크"),
    ):
        browser.get(urljoin(server, page))
        box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
        browser.execute_script("document.getElementById('__search').checked = true")
        box.click()
        box.send_keys(query)
        hits = _settled_hits(browser)
        assert hits, (page, query)
        for h in hits:
            if page.startswith("ko/"):
                assert f"/{SUB}/ko/" in h, (page, query, h)
            else:
                assert "/ko/" not in h, (page, query, h)
