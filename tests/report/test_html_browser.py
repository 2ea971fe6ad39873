"""The ``--html`` page in a real browser (headless Chromium from Debian's packages, driven by
selenium and chromedriver): each command's page loads from ``file://`` with no console
message at warning level or above, every chart is drawn at a size, and a screenshot of it
is a real picture. Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import struct
import zlib

import pytest

from apps import CHROMIUM_FLAGS, chromium
from htmlcheck import PAGES, write_pages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module (it takes seconds to start)."""
    binary, driver_path = chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return {name: path for name, (path, _) in
            write_pages(tmp_path_factory.mktemp("pages")).items()}


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """A PNG's width, height and how many distinct pixel rows it has (a blank picture has
    one); checks its signature and chunks as it reads (8-bit RGB or RGBA, as Chromium
    writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:
                                                                pos + 12 + length])[0]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    rows = {raw[i * stride + 1:(i + 1) * stride] for i in range(height)}
    return width, height, len(rows)


@pytest.mark.parametrize("name", PAGES)
def test_the_page_loads_clean_and_draws_its_charts(browser, pages, name, tmp_path):
    browser.get_log("browser")  # what earlier pages left
    browser.get(pages[name].as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    title = browser.title
    assert title.endswith(PAGES[name][0][0] if name != "portfolio" else "(portfolio)")
    charts = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure svg')).map(s => {"
        "const r = s.getBoundingClientRect(); return [r.width, r.height,"
        " s.querySelectorAll('path').length]; })")
    assert len(charts) == PAGES[name][1]
    for width, height, paths in charts:
        assert width > 300 and height > 150 and paths > 10, charts
    # nothing was fetched: every resource the page loaded is the page itself
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded == []
    problems = [m for m in browser.get_log("browser")
                if m["level"] in ("WARNING", "SEVERE")]
    assert problems == [], problems
    shot = tmp_path / f"{name}.png"
    assert browser.save_screenshot(str(shot))
    width, height, rows = png_size_and_colours(shot.read_bytes())
    assert (width, height) == tuple(browser.execute_script(
        "return [window.innerWidth * devicePixelRatio, window.innerHeight * devicePixelRatio]"))
    assert rows > 50          # not a blank picture: text and tables on many rows


def test_the_check_catches_a_console_error(browser, tmp_path):
    """The positive control: a page that logs an error is caught by the same reading."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>")
    browser.get_log("browser")
    browser.get(bad.as_uri())
    assert any("boom" in m["message"] and m["level"] == "SEVERE"
               for m in browser.get_log("browser"))
