"""Desktop applications some tests drive (Debian packages CI installs): where they are, or
why a test that needs one is skipped. One place, so every such test says the same thing."""

from __future__ import annotations

import shutil
from pathlib import Path

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


#: Command-line programs -> (the commands that run it, the Debian package that installs it).
PROGRAMS = {
    "soffice": (("soffice", "libreoffice"), "libreoffice-calc-nogui"),
    "pdftotext": (("pdftotext",), "poppler-utils"),
    "pdftoppm": (("pdftoppm",), "poppler-utils"),
}


def find(program: str) -> str | None:
    """The path of ``program`` (one of :data:`PROGRAMS`), or None when it is not installed."""
    return next((path for name in PROGRAMS[program][0] if (path := shutil.which(name))), None)


def needs(*programs: str):
    """A mark that skips a test, naming the package to install, unless every program (of
    :data:`PROGRAMS`: LibreOffice, poppler's pdftotext) is on the PATH."""
    missing = [p for p in programs if find(p) is None]
    packages = sorted({PROGRAMS[p][1] for p in missing})
    return pytest.mark.skipif(bool(missing), reason=(
        f"{', '.join(missing)} not installed (apt-get install {' '.join(packages)})"))


SOFFICE = find("soffice")

#: Mark a test that needs LibreOffice: skipped, saying why, where it is not installed.
needs_soffice = needs("soffice")


def soffice_convert(files: list[Path], to: str, outdir: Path) -> list[Path]:
    """Convert ``files`` with LibreOffice headless in ONE call (start-up dominates), with a
    profile of its own: tools/render_workbooks.py's ``convert``, the one way the project
    drives LibreOffice; ``to`` is ``xlsx`` or ``pdf``. Returns the converted files, in
    order."""
    from scripts import script
    return script("tools", "render_workbooks").convert(files, outdir, to=to)
