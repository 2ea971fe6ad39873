"""Fuzz the spec files: every bundled contract, portfolio and provider profile, mutated in
structure (keys dropped, added or repeated, values of another type, nasty numbers and text,
sections swapped between contracts, deep nesting, other encodings), run through the commands
that read them. Every run must exit 0, or exit 2 with ``Error:`` lines; never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import (CONTRACTS, PORTFOLIOS, PROVIDERS, check, dump_toml, fuzz_settings,
                     load_tree, mutated, text_mutated, write)

TREES = {path.name: load_tree(path) for path in CONTRACTS}
DONORS = list(TREES.values())


@pytest.mark.slow
@fuzz_settings(40)
@given(data=st.data())
def test_contract_specs(data):
    name = data.draw(st.sampled_from(sorted(TREES)), label="contract")
    tree = data.draw(mutated(TREES[name], DONORS), label="mutated")
    raw = data.draw(text_mutated(dump_toml(tree)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        spec = write(Path(tmp), name, raw)
        for argv in (["validate", spec], ["show", spec],
                     ["simulate", spec, "--sims", "20", "--seed", "1"]):
            check("spec", argv, {name: raw})


PORTFOLIO_TREES = {path.name: load_tree(path) for path in PORTFOLIOS}


@pytest.mark.slow
@fuzz_settings(20)
@given(data=st.data())
def test_portfolio_files(data):
    # the three-area portfolio runs; the 21-area one only validates (it takes seconds to run)
    name = data.draw(st.sampled_from(sorted(PORTFOLIO_TREES)), label="portfolio")
    tree = data.draw(mutated(PORTFOLIO_TREES[name], list(PORTFOLIO_TREES.values())))
    raw = data.draw(text_mutated(dump_toml(tree)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        spec = write(Path(tmp), name, raw)
        check("portfolio", ["validate", spec], {name: raw})
        if name.startswith("working_links"):
            check("portfolio", ["capital", spec, "--sims", "20", "--seed", "1"], {name: raw})


PROFILE_TREES = {path.name: load_tree(path) for path in PROVIDERS}


@fuzz_settings(25)
@given(data=st.data())
def test_provider_profiles(data):
    name = data.draw(st.sampled_from(sorted(PROFILE_TREES)), label="profile")
    tree = data.draw(mutated(PROFILE_TREES[name]))
    raw = data.draw(text_mutated(dump_toml(tree)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        profile = write(Path(tmp), name, raw)
        check("provider", ["validate", profile], {name: raw})
        check("provider", ["capital", "peterborough-sib", "-p", profile, "--sims", "20"],
              {name: raw})
