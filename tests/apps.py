"""Desktop applications some tests drive (Debian packages CI installs): where they are, or
why a test that needs one is skipped. One place, so every such test says the same thing."""

from __future__ import annotations

import shutil

import pytest


def chromium() -> tuple[str, str]:
    """Chromium and its chromedriver (Debian's ``chromium`` and ``chromium-driver``), with
    the selenium package; skips the calling test with the reason when any is missing."""
    pytest.importorskip("selenium", reason="the browser test needs selenium "
                                           "(pip install -e '.[test]')")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium "
                    "chromium-driver)")
    return browser, driver


#: Chromium's flags for a headless run as root with no network (none is needed: the pages
#: tested load nothing).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
