"""The ``[trend]`` fields for the years before the contract (``[[trend.before]]``) and the
correlation of binary and frequency steps: validated with clear messages (exit 2 from the
CLI), and carried by the Excel input workbook both ways."""

from __future__ import annotations

import openpyxl
import pytest

from pbr_model.errors import SpecError
from pbr_model.spec import load_spec
from pbr_model.spec.template import write_template

SEGMENTS = ('trend.before=[{periods=16, binary_logit_drift=-0.005, binary_logit_sd=0.02, '
            'frequency_log_drift=0.006, frequency_log_sd=0.015}, {periods=3}]')


def problems(*overrides: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec("peterborough-sib", overrides)
    return info.value.problems


def test_defaults_are_no_segments_and_no_correlation():
    trend = load_spec("peterborough-sib").spec.trend
    assert trend.before == [] and trend.correlation == 0 and trend.periods_before == 0


def test_segments_and_correlation_are_read():
    trend = load_spec("peterborough-sib", [SEGMENTS, "trend.correlation=-0.4"]).spec.trend
    assert [s.periods for s in trend.before] == [16, 3]
    assert trend.before[0].frequency_log_sd == 0.015
    assert trend.before[1].binary_logit_drift == 0 and trend.before[1].binary_logit_sd == 0
    assert trend.periods_before == 19 and trend.correlation == -0.4


@pytest.mark.parametrize("override, fragment", [
    ("trend.correlation=1.5", "trend.correlation: Input should be less than or equal to 1 "
                              "(got 1.5)"),
    ("trend.correlation=-1.01", "trend.correlation: Input should be greater than or equal to -1"),
    ("trend.before=[{periods=0}]", "trend.before.0.periods: Input should be greater than or "
                                   "equal to 1 (got 0)"),
    ("trend.before=[{periods=201}]", "trend.before.0.periods: Input should be less than or "
                                     "equal to 200 (got 201)"),
    ("trend.before=[{periods=2.5}]", "trend.before.0.periods: Input should be a valid integer"),
    ("trend.before=[{binary_logit_drift=0.1}]", "trend.before.0.periods: required field is "
                                                "missing"),
    ("trend.before=[{periods=4, binary_logit_sd=-0.1}]",
     "trend.before.0.binary_logit_sd: Input should be greater than or equal to 0"),
    ("trend.before=[{periods=4, frequency_log_drift=2}]",
     "trend.before.0.frequency_log_drift: Input should be less than or equal to 1"),
    ("trend.before=[{periods=4, drift=0.1}]",
     "trend.before.0.drift: unknown field; allowed here: binary_logit_drift, binary_logit_sd, "
     "frequency_log_drift, frequency_log_sd, periods"),
    ("trend.before=[" + ", ".join(["{periods=1}"] * 11) + "]",
     "trend.before: List should have at most 10 items"),
])
def test_bad_values_name_the_field_and_what_is_allowed(override, fragment):
    found = problems(override)
    assert any(fragment in p for p in found), found
    assert all(p.startswith("peterborough-sib: ") for p in found)


def test_every_problem_is_reported_at_once_and_the_cli_exits_2(cli):
    result = cli.run("simulate", "peterborough-sib", "--sims", "10",
                     "--set", "trend.correlation=2",
                     "--set", "trend.before=[{periods=0}, {periods=3, binary_logit_sd=-1}]")
    cli.error(result, "trend.correlation", "trend.before.0.periods",
              "trend.before.1.binary_logit_sd", lines=3)


# -- the Excel input workbook --------------------------------------------------------------

def rows(path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)["trend"]
    return {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
            for r in range(2, ws.max_row + 1)}


def test_the_template_carries_an_empty_segment_to_fill_in(tmp_path):
    path = write_template("peterborough-sib", tmp_path / "p.xlsx")
    found = rows(path)
    assert found["trend.correlation"] == 0
    for field in ("periods", "binary_logit_drift", "binary_logit_sd", "frequency_log_drift",
                  "frequency_log_sd"):
        assert f"trend.before.0.{field}" in found and found[f"trend.before.0.{field}"] is None
    # left empty it reads back as no segment, the same spec
    assert load_spec(path).sha256 == load_spec("peterborough-sib").sha256
    # filled in, as a user would in Excel, it is a segment
    wb = openpyxl.load_workbook(path)
    ws = wb["trend"]
    for r in range(2, ws.max_row + 1):
        field = ws.cell(row=r, column=1).value
        if field == "trend.before.0.periods":
            ws.cell(row=r, column=2).value = 12
        elif field == "trend.before.0.frequency_log_drift":
            ws.cell(row=r, column=2).value = 0.007
        elif field == "trend.correlation":
            ws.cell(row=r, column=2).value = -0.3
    wb.save(path)
    trend = load_spec(path).spec.trend
    assert trend.correlation == -0.3 and len(trend.before) == 1
    assert (trend.before[0].periods, trend.before[0].frequency_log_drift) == (12, 0.007)


def test_segments_round_trip(tmp_path):
    loaded = load_spec("peterborough-sib", [SEGMENTS, "trend.correlation=-0.4"])
    path = write_template(loaded, tmp_path / "p.xlsx")
    found = rows(path)
    assert found["trend.before.0.periods"] == 16 and found["trend.before.1.periods"] == 3
    back = load_spec(path)
    assert back.spec.trend == loaded.spec.trend
    assert back.sha256 == loaded.sha256
