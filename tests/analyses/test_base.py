"""One provenance for every result: the same keys open every command's JSON object, and
the numpy version and platform are recorded in the JSON, metadata.json and workbooks
(numpy promises the same random stream from a seed on the same build only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pbr_model import __version__
from pbr_model.analyses.base import PROVENANCE_KEYS, Provenance, Result, platform_label
from pbr_model.analyses.show import derived_figures, show
from pbr_model.cli import app

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed"

#: Every computing command, as run here, and what its provenance says was drawn.
COMMANDS = {
    "simulate": (["simulate", "peterborough-sib", "--sims", "200"], "contract", 200),
    "capital": (["capital", "nyc-able-sib", "--sims", "200"], "contract", 200),
    "portfolio": (["capital", "working-links-like", "--sims", "200"], "portfolio", 200),
    "power": (["power", "doncaster-pbr", "--sims", "100", "--effects", "0,0.05"], "contract",
              100),
    "breakeven": (["breakeven", "peterborough-sib", "--solve", "price", "--sims", "100"],
                  "contract", 100),
    "settle": (["settle", "doncaster-pbr", "--observed", str(OBSERVED / "doncaster.csv")],
               "contract", None),
    "show": (["show", "doncaster-pbr"], "contract", None),
    "indigo": (["indigo", "doncaster-pbr", "--sims", "200", "--out", "{tmp}/indigo.json"],
               "contract", 200),
}


def run_json(args: list[str]) -> dict:
    result = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_json_object_opens_with_the_same_provenance_keys(name, tmp_path):
    args, kind, sims = COMMANDS[name]
    d = run_json([a.format(tmp=tmp_path) for a in args])
    assert list(d)[:len(PROVENANCE_KEYS)] == list(PROVENANCE_KEYS)
    assert d["spec_kind"] == kind and d["sims"] == sims
    assert (d["seed"] is None) == (sims is None)
    assert d["version"] == __version__
    assert d["numpy_version"] == np.__version__ and d["platform"] == platform_label()
    assert len(d["spec_sha256"]) == 64 and d["currency"] in ("GBP", "USD")


def test_platform_names_os_machine_and_python():
    import platform
    import sys
    label = platform_label()
    assert label.startswith(sys.platform) and platform.python_version() in label


def test_metadata_json_records_numpy_and_platform(tmp_path):
    result = CliRunner().invoke(app, ["simulate", "doncaster-pbr", "--sims", "100", "--csv",
                                      str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "metadata.json").read_text())
    for key in PROVENANCE_KEYS:
        assert key in meta, key
    assert meta["numpy_version"] == np.__version__ and meta["platform"] == platform_label()
    assert meta["created_utc"]


def test_show_is_a_result_with_json():
    r = show("doncaster-pbr")
    assert isinstance(r, Result) and isinstance(r.provenance, Provenance)
    d = run_json(["show", "doncaster-pbr"])
    assert d["figures"] == json.loads(json.dumps(derived_figures(r.loaded)))
    assert d["spec"]["contract"]["name"] == r.spec.contract.name
    assert set(r.tables()) == {"figures"}


def test_the_json_object_does_not_carry_the_run_time():
    """The same spec, seed and version give the same bytes: when it ran is in the workbook
    and metadata.json, not in the JSON object."""
    args = ["simulate", "doncaster-pbr", "--sims", "100", "--json"]
    a = CliRunner().invoke(app, args).stdout
    b = CliRunner().invoke(app, args).stdout
    assert a == b and "created" not in json.loads(a)
