"""Write every command's workbook, convert them with LibreOffice, and render the pages.

    python tools/render_workbooks.py OUTDIR            # workbooks, PDFs and PNG pages
    python tools/render_workbooks.py OUTDIR --no-png   # workbooks and PDFs only
    python tools/render_workbooks.py OUTDIR --sims 300 --only simulate --only power

For a person to look at what a workbook prints like in a real spreadsheet application:
``OUTDIR/NAME.xlsx`` (written by ``pbr``), ``OUTDIR/pdf/NAME.pdf`` (LibreOffice headless,
every sheet, as File > Export as PDF prints it) and ``OUTDIR/png/NAME-PAGE.png`` (one picture
per page, by pdftoppm). It prints the pages each workbook takes and, per sheet, how many
(every page's header names its sheet). Needs ``soffice`` (Debian: libreoffice-calc-nogui)
and ``pdftoppm``/``pdftotext`` (poppler-utils). The tests
(``tests/report/test_calc.py``) use the same commands and functions.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from pbr_model.report.pagesetup import PAGE_HEADER

ROOT = Path(__file__).resolve().parents[1]
OBSERVED = ROOT / "examples" / "observed"

#: name -> ``pbr`` arguments (without --xlsx): every command that writes a workbook, and
#: the variants whose sheets differ (a SIB's investors, a portfolio, --solve price).
COMMANDS: dict[str, list[str]] = {
    "simulate": ["simulate"],
    "simulate-sib": ["simulate", "ma-roca-pfs"],
    "capital": ["capital", "-p", "small-charity", "-p", "national-prime"],
    "capital-sib": ["capital", "nyc-able-sib"],
    "portfolio": ["capital", "working-links-like"],
    "power": ["power", "--effects", "0:0.2:0.02"],
    "breakeven": ["breakeven", "--solve", "effect"],
    "breakeven-price": ["breakeven", "--solve", "price"],
    "settle": ["settle", "peterborough-sib", "--observed", str(OBSERVED / "peterborough.csv")],
    "settle-indigo": ["settle", "peterborough-sib", "--indigo",
                      str(OBSERVED / "peterborough_indigo.json")],
    "settle-sib": ["settle", "nyc-able-sib", "--observed", str(OBSERVED / "able_no_effect.csv")],
}


def arguments(name: str, sims: int) -> list[str]:
    """``pbr`` arguments of workbook ``name`` at ``sims`` simulations (``settle`` draws
    nothing, so takes no --sims)."""
    args = list(COMMANDS[name])
    return args if args[0] == "settle" else [*args, "--sims", str(sims)]


def run_pbr(args: list[str]) -> None:
    """Run ``pbr ARGS`` in a child process (this Python's pbr_model), quietly."""
    subprocess.run([sys.executable, "-m", "pbr_model", *args], check=True,
                   stdout=subprocess.DEVNULL)


def write_workbooks(outdir: Path, sims: int, names: Iterable[str] | None = None,
                    run: Callable[[list[str]], None] = run_pbr) -> list[Path]:
    """Write ``OUTDIR/NAME.xlsx`` for each name (all of :data:`COMMANDS` by default)."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or COMMANDS:
        path = outdir / f"{name}.xlsx"
        run([*arguments(name, sims), "--xlsx", str(path), "--force"])
        paths.append(path)
    return paths


def soffice() -> str | None:
    """The LibreOffice command, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(paths: list[Path], outdir: Path, to: str = "pdf", timeout: float = 600) -> list[Path]:
    """Convert ``paths`` with one LibreOffice call (headless, its own profile, so it runs
    beside an open LibreOffice or another conversion) to format ``to`` (``pdf``, ``xlsx``)
    in ``outdir``; returns the converted files, in order."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install "
                           "libreoffice-calc-nogui")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--norestore", "--convert-to", to, "--outdir", str(outdir), *map(str, paths)],
            capture_output=True, text=True, timeout=timeout)
    out = [outdir / f"{p.stem}.{to}" for p in paths]
    missing = [p.name for p in out if not p.exists()]
    if done.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed (exit {done.returncode}; missing {missing}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return out


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (pdftotext, layout kept)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _header_pattern(header: str) -> re.Pattern:
    """A page's header as printed, from the code LibreOffice fills in (``&A`` the sheet,
    ``&P`` the page, ``&N`` the pages)."""
    fields = {"&A": r"(.+?)", "&P": r"(\d+)", "&N": r"(\d+)"}
    parts = re.split(r"(&[APN])", header)
    return re.compile(r"^\s*" + "".join(fields.get(p, re.escape(p)) for p in parts) + r"\s*$",
                      re.M)


#: The header every printed page carries (pbr_model.report.pagesetup): "SHEET · page N of M"
_HEADER = _header_pattern(PAGE_HEADER)


def sheet_pages(pdf: Path) -> Counter:
    """Pages per sheet of ``pdf``, read from each page's header (``?`` where there is none)."""
    counts: Counter = Counter()
    for page in page_texts(pdf):
        m = _HEADER.search(page)
        counts[m.group(1).strip() if m else "?"] += 1
    return counts


def render_png(pdf: Path, outdir: Path, dpi: int = 60) -> list[Path]:
    """Each page of ``pdf`` as ``outdir/STEM-N.png`` (pdftoppm)."""
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(outdir / pdf.stem)],
                   check=True)
    return sorted(outdir.glob(f"{pdf.stem}-*.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path,
                        help="folder for the workbooks, their PDFs (pdf/) and PNGs (png/)")
    parser.add_argument("--sims", type=int, default=1000, help="simulations (default 1000)")
    parser.add_argument("--only", action="append", choices=list(COMMANDS),
                        help="this workbook only (repeat for more)")
    parser.add_argument("--no-png", action="store_true", help="stop at the PDFs")
    parser.add_argument("--dpi", type=int, default=60, help="PNG resolution (default 60)")
    a = parser.parse_args(argv)
    needed = ["pdftotext"] + ([] if a.no_png else ["pdftoppm"])
    missing = [t for t in needed if shutil.which(t) is None]
    if soffice() is None or missing:
        print(f"Error: {', '.join(['soffice'] * (soffice() is None) + missing)} not installed: "
              "apt-get install libreoffice-calc-nogui poppler-utils", file=sys.stderr)
        return 2
    try:
        books = write_workbooks(a.outdir, a.sims, a.only)
        pdfs = convert(books, a.outdir / "pdf")
        for pdf in pdfs:
            per_sheet = sheet_pages(pdf)
            pngs = [] if a.no_png else render_png(pdf, a.outdir / "png", a.dpi)
            print(f"{pdf.stem}: {sum(per_sheet.values())} pages ("
                  + ", ".join(f"{s} {n}" for s, n in per_sheet.items()) + ")"
                  + (f"; {len(pngs)} PNG in {a.outdir / 'png'}" if pngs else ""))
    except subprocess.CalledProcessError as exc:   # pbr refused its arguments, or a tool failed
        print(f"Error: {' '.join(map(str, exc.cmd))} failed (exit {exc.returncode})"
              + (f":\n{exc.stderr.strip()}" if exc.stderr else ""), file=sys.stderr)
        return 1
    except (subprocess.TimeoutExpired, RuntimeError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
