"""Several owners in one portfolio ([[owners]]): each owner's figures on its own areas and
finances, independent effects across owners, clear errors, chunk-size determinism, and the
bundled tr-national with its eight owners."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pbr_model import SpecError
from pbr_model.analyses.portfolio import load_portfolio, run_portfolio

TERMS = """reserves = 200000
credit_limit = 100000
credit_rate = 0.06
cost_of_capital = 0.1
overheads = 0.05
"""
AREAS = [("A", ["cohorts.entrants_per_period=300"]), ("B", ["cohorts.entrants_per_period=200"]),
         ("C", ["cohorts.entrants_per_period=250"])]


def text(owners: dict[str, str] | None, area_owner: dict[str, str] | None,
         shared: str = "", areas=AREAS) -> str:
    """One [owner] (``owners`` None) or [[owners]] named as keys; ``area_owner`` maps an
    area to its owner's name."""
    out = '[portfolio]\nname = "Owners test"\n\n'
    if owners is None:
        out += f'[owner]\nname = "X"\n{TERMS}\n'
    else:
        for name, extra in owners.items():
            out += f'[[owners]]\nname = "{name}"\n{TERMS}{extra}\n'
    if shared:
        out += f"[shared]\n{shared}\n"
    for name, sets in areas:
        out += f'\n[[areas]]\nname = "{name}"\nspec = "tr-crc-example"\nset = {sets!r}\n'.replace(
            "'", '"')
        if area_owner and name in area_owner:
            out += f'owner = "{area_owner[name]}"\n'
    return out


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(body)
    return path


def problems(path: Path) -> str:
    with pytest.raises(SpecError) as info:
        load_portfolio(path)
    return str(info.value)


def test_each_owner_is_what_its_areas_give_alone_with_the_same_shared_draws(tmp_path):
    # Owner X (first) holds A: its draws are the one-owner portfolio's, so X's figures are
    # area A's in the one-owner run on X's finances. With effect_correlation 0 the effect
    # normals are each area's own, so Y's figures on B are B's in the one-owner run too.
    areas = AREAS[:2]
    one = run_portfolio(load_portfolio(write(tmp_path, text(None, None, "effect_correlation = 0",
                                                            areas))), sims=600)
    d2 = tmp_path / "two"
    d2.mkdir()
    two = run_portfolio(load_portfolio(write(d2, text({"X": "", "Y": ""}, {"A": "X", "B": "Y"},
                                                      "effect_correlation = 0", areas))),
                        sims=600)
    assert [o.name for o in two.owners] == ["X", "Y"]
    assert two.owners[0].summary == one.areas[0].summary
    assert two.owners[1].summary == one.areas[1].summary
    d = two.to_dict()
    assert [o["areas"] for o in d["owners"]] == [["A"], ["B"]]
    assert [a["owner"] for a in d["areas"]] == ["X", "Y"]
    # national totals: the commissioner's payments summed over the areas
    fees = sum(a.result.simulations["fee"].to_numpy() for a in two.areas)
    assert d["national"]["fees"]["mean"] == pytest.approx(float(np.mean(fees)), rel=1e-12)


def test_owners_effects_are_independent_and_an_owners_areas_share_theirs(tmp_path):
    path = write(tmp_path, text({"X": "", "Y": ""}, {"A": "X", "B": "X", "C": "Y"},
                                "effect_correlation = 1"))
    n = 4000
    run = run_portfolio(load_portfolio(path), sims=n)
    eff = [a.result.simulations["effect_binary"].to_numpy() for a in run.areas]
    vol = [a.result.simulations["volume_factor"].to_numpy() for a in run.areas]
    assert np.corrcoef(eff[0], eff[1])[0, 1] == pytest.approx(1, abs=1e-9)  # one owner
    assert abs(np.corrcoef(eff[0], eff[2])[0, 1]) < 4 / np.sqrt(n)  # different owners: 0 +- 4 SE
    # the national volume factor is shared by every area, whoever owns it (default 0.8)
    assert np.corrcoef(np.log(vol[0]), np.log(vol[2]))[0, 1] > 0.8 - 4 * 0.36 / np.sqrt(n)


def test_several_owners_are_byte_identical_whatever_the_chunk_size(tmp_path):
    path = write(tmp_path, text({"X": "", "Y": ""}, {"A": "X", "B": "Y", "C": "Y"}))
    p = load_portfolio(path)
    small, large = (run_portfolio(p, sims=2100, chunk_size=c) for c in (1024, 4096))
    for a, b in zip(small.owners, large.owners):
        np.testing.assert_array_equal(a.flows.income, b.flows.income)
        assert a.summary == b.summary


@pytest.mark.parametrize("owners, area_owner, expected", [
    ({"X": "", "Y": ""}, {"A": "X", "B": "Z", "C": "X"},
     "areas.1.owner: is not one of the [[owners]]' names ['X', 'Y'] (got 'Z')"),
    ({"X": "", "Y": ""}, {"A": "X", "B": "X", "C": "X"},
     "owners.1: holds no area: name it as some area's owner or remove it (got 'Y')"),
    ({"X": "", "Y": ""}, {"A": "X", "B": "Y"}, "areas.2.owner: missing: with [[owners]]"),
    (None, {"A": "X"}, "areas.0.owner: is read only with [[owners]]"),
])
def test_bad_owners_are_clear_problems(tmp_path, owners, area_owner, expected):
    path = write(tmp_path, text(owners, area_owner))
    assert f"{path}: {expected}" in problems(path)


def test_both_or_neither_owner_tables_and_duplicate_names(tmp_path):
    body = text({"X": ""}, {"A": "X", "B": "X", "C": "X"})
    both = write(tmp_path, body.replace("[[owners]]", f'[owner]\nname = "W"\n{TERMS}\n[[owners]]', 1))
    assert f"{both}: owners: give [owner] (one owner of every area) or [[owners]]" in problems(both)
    neither = write(tmp_path, text(None, None).replace('[owner]\nname = "X"\n' + TERMS, ""))
    assert f"{neither}: owner: missing: give [owner]" in problems(neither)
    dup = write(tmp_path, text({"X": "", "Y": ""}, {"A": "X", "B": "Y"}).replace(
        'name = "Y"', 'name = "X"', 1))
    assert f"{dup}: owners.1.name: already the name of owners.0" in problems(dup)


def test_cli_exits_2_with_every_owner_problem(tmp_path):
    path = write(tmp_path, text({"X": "", "Y": ""}, {"A": "X", "B": "Z"}))
    done = subprocess.run([sys.executable, "-m", "pbr_model", "capital", str(path), "--sims",
                           "64"], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "areas.1.owner" in done.stderr and "areas.2.owner" in done.stderr
    assert "Traceback" not in done.stderr


def test_tr_national_has_its_eight_owners_with_their_published_counts():
    p = load_portfolio("tr-national")
    counts = sorted((len(o.areas) for o in p.owners), reverse=True)
    assert counts == [6, 5, 3, 2, 2, 1, 1, 1]  # [PAC19][RW-prov14]
    run = run_portfolio(p, sims=64)
    d = run.to_dict()
    assert len(d["owners"]) == 8 and "owner" not in d
    assert all(o["peak_funding"]["p95"] > 0 for o in d["owners"])
