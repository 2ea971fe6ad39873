"""Smoke tests of the installed command: the ``pbr`` console script and
``python -m pbr_model``, run as a user would, from a directory that is not the
repository (so the bundled contracts must come from the installed package)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pbr_model import __version__

#: Each test here runs a subprocess or installs the package: seconds each.
pytestmark = pytest.mark.slow

PBR = Path(sys.executable).parent / ("pbr.exe" if os.name == "nt" else "pbr")
REPO = Path(__file__).resolve().parents[1]

needs_script = pytest.mark.skipif(
    not PBR.is_file(),
    reason=f"no `pbr` console script next to {sys.executable}: pbr-model is not installed "
           "in this environment (pip install . or pip install -e .)",
)


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@needs_script
def test_pbr_version(tmp_path):
    proc = run(PBR, "--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"pbr-model {__version__}\n"


@needs_script
def test_pbr_simulates_a_bundled_contract_from_any_directory(tmp_path):
    proc = run(PBR, "simulate", "tr-crc-example", "--sims", "200", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["contract"].startswith("TR Community Rehabilitation Company")
    assert summary["sims"] == 200
    assert summary["version"] == __version__
    assert set(summary["provider"]["net"]) == {"mean", "p5", "p50", "p95"}
    assert list(tmp_path.iterdir()) == []  # wrote nothing it was not asked to


@needs_script
def test_pbr_capital_compares_providers(tmp_path):
    proc = run(PBR, "capital", "tr-crc-example", "-p", "small-charity", "-p", "national-prime",
               "--sims", "200", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert [p["name"] for p in d["providers"]] == ["small-charity", "national-prime"]
    assert list(tmp_path.iterdir()) == []


@needs_script
def test_pbr_bad_input_is_one_error_line(tmp_path):
    proc = run(PBR, "simulate", "nope.toml", "--sims", "0", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    # the flag's problem, then the spec's: a bad --sims no longer hides a bad spec
    assert proc.stderr.startswith("Error: --sims: must be from 1 to 10,000,000 (got 0)\n"
                                  "Error: nope.toml: no such file")
    assert proc.stderr.count("Error: ") == 2
    proc = run(PBR, "simulate", "nope.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: nope.toml: no such file")
    assert "Traceback" not in proc.stderr


def test_python_dash_m(tmp_path):
    proc = run(sys.executable, "-m", "pbr_model", "--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"pbr-model {__version__}\n"


def test_the_wheel_ships_the_bundled_contracts(tmp_path):
    """A plain (non-editable) install: build the wheel, unpack it as site-packages would, and
    run `python -m pbr_model simulate tr-crc-example` from an unrelated directory."""
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout: no pyproject.toml to build a wheel from")
    wheel_builder = pytest.importorskip(
        "hatchling.builders.wheel", reason="hatchling (the build backend) is not installed")
    built = wheel_builder.WheelBuilder(str(REPO)).build(directory=str(tmp_path / "dist"),
                                                        versions=["standard"])
    (wheel,) = [Path(p) for p in built]
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        assert "pbr_model/contracts/tr_crc_example.toml" in zf.namelist()
        assert "pbr_model/contracts/providers/small_charity.toml" in zf.namelist()
        assert "pbr_model/contracts/portfolios/working_links_like.toml" in zf.namelist()
        zf.extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import pbr_model, pbr_model.spec.load as s; "
            "print(pbr_model.__file__); print(s.bundled_dir())")
    proc = run(sys.executable, "-c", code, cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    package_file, contracts = proc.stdout.splitlines()
    assert Path(package_file).is_relative_to(site)
    assert Path(contracts) == site / "pbr_model" / "contracts"
    proc = run(sys.executable, "-m", "pbr_model", "simulate", "tr-crc-example",
               "--sims", "200", "--json", cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["source"] == "tr-crc-example"
    # the provider profiles and portfolios ship too
    proc = run(sys.executable, "-m", "pbr_model", "capital", "working-links-like",
               "--sims", "200", "--json", cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["owner"]["name"] == "national-prime"
