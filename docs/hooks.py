"""MkDocs hooks of the study site (mkdocs.yml `hooks:`): what the theme and the i18n plugin do
not do for a site that must work when served under any path or opened as files.

* Language links: mkdocs-static-i18n gives the language selector absolute links (`/`, `/ko/`),
  which break under a sub-path and on file://. Without the leading slash, the theme's `url`
  filter makes each one relative to the page, and pointing at `index.html` keeps it a file.
* The 404 page: each language's build writes `404.html` at the site root, the last one winning;
  the English one is kept there, the Korean one goes to `ko/404.html` (the page itself says
  both), and neither claims to be another page's translation.
* Search per language: the plugin stacks every language's pages into one index; each
  language's pages get an index of their own (`search/search_index.json` at the site root for
  English, `ko/search/search_index.json` for Korean, which the Korean pages load).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority


@event_priority(-100)  # after mkdocs-static-i18n has set the page's alternates
def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    for alt in config.extra.get("alternate", []):
        link = str(alt["link"])
        if link.startswith(("http:", "https:")):
            continue
        link = link.lstrip("/")
        if link == "" or link.endswith("/"):
            link += "index.html"
        alt["link"] = link
    return context


def _langs(config: Any) -> list[str]:
    """The languages other than English (each built under its own folder)."""
    return [str(a["lang"]) for a in config.extra.get("alternate", []) if a["lang"] != "en"]


def _lang_of(url: str, langs: list[str]) -> str:
    return next((lang for lang in langs if url.startswith(f"{lang}/")), "en")


def on_post_page(output: str, page: Any, config: Any) -> str:
    """A page of another language searches its own index: the theme's search loads
    `<base>/search/search_index.json`, so its base becomes its language's folder (the theme
    uses the base for nothing else that this site enables)."""
    lang = _lang_of(page.url, _langs(config))
    if lang == "en":
        return output
    depth = page.url.count("/") - 1  # ko/index.html: 0; ko/scenarios/close.html: 1
    base = "/".join([".."] * depth) or "."
    return re.sub(r'("base": ")[^"]*(")', rf"\g<1>{base}\g<2>", output, count=1)


_NOT_FOUND: dict[str, str] = {}  # language -> its 404 page


def on_post_template(output: str, template_name: str, config: Any) -> str:
    if template_name != "404.html":
        return output
    # the alternates there are those of the last page built, not of this one
    output = re.sub(r'\s*<link rel="alternate"[^>]*>', "", output)
    _NOT_FOUND[str(config.theme.get("language") or "en")] = output
    return output


@event_priority(-200)  # after mkdocs-static-i18n has written the index of every language
def on_post_build(config: Any) -> None:
    site = Path(config.site_dir)
    for lang, page in _NOT_FOUND.items():
        (site / ("404.html" if lang == "en" else f"{lang}/404.html")).write_text(
            page, encoding="utf-8"
        )
    index = site / "search" / "search_index.json"
    langs = _langs(config)
    if not index.is_file() or not langs:
        return
    doc = json.loads(index.read_text(encoding="utf-8"))
    if all(_lang_of(d["location"], langs) == "en" for d in doc["docs"]):
        return  # a language's own build, or already split
    for lang in ["en", *langs]:
        docs = [d for d in doc["docs"] if _lang_of(d["location"], langs) == lang]
        if lang != "en":  # locations are relative to the language's folder, its pages' base
            docs = [{**d, "location": d["location"][len(lang) + 1 :]} for d in docs]
        out = index if lang == "en" else site / lang / "search" / "search_index.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        settings = {**doc["config"], "lang": [lang]}
        out.write_text(
            json.dumps({**doc, "config": settings, "docs": docs}, ensure_ascii=False),
            encoding="utf-8",
        )


def on_pre_build(config: Any) -> None:
    """The "try it yourself" explorers the scenario pages link to (`docs/explore/`, not
    committed): drawn from the model at every build, like every other generated part, so a
    page can never link to a stale or missing one (`tcpspec explore --static DIR --charts`)."""
    from tcpspec.explorer.static import write_charts

    write_charts(Path(config.docs_dir) / "explore")


def on_startup(command: str, dirty: bool) -> None:
    """Before the configuration is read: mkdocstrings looks for its `paths` then."""
    api_tree(Path(__file__).resolve().parent.parent)


#: Where the API reference reads the sources (mkdocs.yml, mkdocstrings `paths`).
API_TREE = "build/apidoc"


def api_tree(root: Path) -> None:
    """The package as one tree (`build/apidoc/tcpspec/`, links), for the API reference: the
    repository keeps `spec/`, `checks/` and `diagrams/generator/` at the top (pyproject's
    package-dir), where a static reader of the sources (griffe) does not look for them."""
    top = root / API_TREE / "tcpspec"
    if top.parent.exists():
        shutil.rmtree(top.parent)
    top.mkdir(parents=True)
    for f in sorted((root / "tcpspec").iterdir()):
        if f.name != "__pycache__":
            (top / f.name).symlink_to(f.resolve())
    for name, where in (("spec", "spec"), ("checks", "checks"), ("diagrams", "diagrams/generator")):
        (top / name).symlink_to((root / where).resolve())
