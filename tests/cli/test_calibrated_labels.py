"""Calibrated figures are labelled a check of arithmetic in every output that shows them
(``[[contract.calibrated]]``, issue 13), and a calibration naming no field is refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pbr_model import load_spec
from pbr_model.cli import app
from pbr_model.spec.contract import CALIBRATED_NOTE

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
NOTE = "check of arithmetic, not validation"


def run(*args, code=0):
    result = runner.invoke(app, list(args), env={"COLUMNS": "400"})
    assert result.exit_code == code, result.output
    return result.output


def test_the_bundled_calibrations_name_real_fields():
    expected = {"peterborough-sib": "payments.0.rates.0.price",
                "ma-roca-pfs": "payments.0.tiers.3.amount",
                "nyc-able-sib": "sib.guarantees.0.cover",
                "nys-ceo-pfs": "payments.1.rates.0.price"}
    for name, field in expected.items():
        assert field in [c.field for c in load_spec(name).spec.contract.calibrated], name


def test_show_labels_each_calibrated_figure():
    text = run("show", "peterborough-sib")
    assert NOTE in CALIBRATED_NOTE
    assert text.count(NOTE) == len(load_spec("peterborough-sib").spec.contract.calibrated)
    assert "payments.0.rates.0.price calibrated to the pooled -9% paid" in text
    # TR's trend drifts were fitted to the published record (and its trend row says so too)
    tr = load_spec("tr-crc-example").spec.contract.calibrated
    assert [c.field for c in tr] == ["trend.binary_logit_drift", "trend.frequency_log_drift"]
    assert run("show", "tr-crc-example").count(NOTE) == len(tr)
    assert NOTE not in run("show", "doncaster-pbr")


def test_settle_says_so_beside_the_payment_it_reproduces():
    args = ["settle", "peterborough-sib", "--observed",
            str(ROOT / "examples/observed/peterborough_pooled.csv")]
    text = run(*args)
    line = next(i for i, l in enumerate(text.splitlines()) if "in all" in l)
    assert NOTE in " ".join(text.splitlines()[line:line + 4])
    d = json.loads(run(*args, "--json"))
    assert [c["field"] for c in d["calibrated"]] == ["payments.0.rates.0.price"]
    assert d["calibrated"][0]["mechanism"] == "Peterborough outcome payment"
    plain = json.loads(run("settle", "doncaster-pbr", "--observed",
                           str(ROOT / "examples/observed/doncaster.csv"), "--json"))
    assert "calibrated" not in plain


def test_a_calibration_naming_no_field_is_refused(tmp_path):
    text = (ROOT / "contracts/peterborough_sib.toml").read_text().replace(
        'field = "payments.0.rates.0.price"', 'field = "payments.0.rates.0.prise"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = run("show", str(bad), code=2)
    assert "contract.calibrated.0.field" in out and "payments.0.rates.0.prise" in out
    assert "no such field" in out
