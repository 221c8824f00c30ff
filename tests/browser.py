"""Headless Chromium for the browser tests (the site, the explorer): Debian's `chromium` and
`chromium-driver`, driven by selenium. Missing pieces skip the test with the reason (and fail
it in CI, through `conftest.need`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import need

#: flags that keep Chromium quiet on a machine with no network but loopback (and as root)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@contextmanager
def chromium(profile: Path, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A selenium driver of headless Chromium with a fresh profile in ``profile``."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    need(
        None
        if binary and driver
        else "chromium and chromium-driver are not installed (make system-tools, as root)"
    )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need("selenium is not installed: pip install -e '.[dev]'")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary  # type: ignore[assignment]
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(flag)
    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium's usage statistics: none
    b = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    b.set_page_load_timeout(30)
    try:
        yield b
    finally:
        b.quit()
