"""Desktop applications some tests drive (Debian packages CI installs): where they are, or
why a test that needs one is skipped. One place, so every such test says the same thing."""

from __future__ import annotations

import shutil
import subprocess
import uuid
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


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

#: Mark a test that needs LibreOffice: skipped, saying why, where it is not installed.
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install "
                            "libreoffice-calc-nogui")


def soffice_convert(files: list[Path], to: str, outdir: Path, timeout: float = 300) -> list[Path]:
    """Convert ``files`` with LibreOffice headless in ONE call (start-up dominates), with a
    profile of its own (two LibreOffice processes cannot share one); ``to`` is a
    ``--convert-to`` filter such as ``xlsx`` or ``pdf``. Returns the converted files, in
    order; fails the test if any is missing."""
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"lo-test-{uuid.uuid4().hex}"
    try:
        done = subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    ext = to.split(":", 1)[0]
    out = [outdir / f"{Path(f).stem}.{ext}" for f in files]
    missing = [p.name for p in out if not p.is_file()]
    assert not missing, (missing, done.stdout, done.stderr)
    return out


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
