"""Fuzz every command's flags: counts, seeds, shares, effect grids, targets, provider names
and output paths (existing files, folders, the spec itself, one file for two outputs, names
too long, places that cannot be written). Every run must exit 0, or exit 2 with ``Error:``
lines; never a traceback, never a hang."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import NASTY_TEXT, check, fuzz_settings

#: Simulation counts: small valid ones (so a run stays fast) and invalid ones of every kind;
#: a large valid count is a memory question, tried once in the corpus.
counts = st.sampled_from(["1", "2", "20", "0", "-1", "-20", "10000001", "99999999999999999999",
                          "1.5", "1e3", "abc", "", " 20", "0x14", "2**63", "nan"])
seeds = st.sampled_from(["0", "1", "-1", "42", str(2**63 - 1), str(2**63), str(2**64),
                         "1.0", "x", "", "-0"])
shares = st.sampled_from(["0", "0.3", "-0.2", "1", "0.999", "-1", "-1.5", "2", "nan", "inf",
                          "-inf", "1e-320", "1e308", "abc", "", "0,5", "50%"])
effects = st.one_of(
    st.sampled_from(["0:0.1:0.01", "0:0.05:0.05", "0.1", "0,0.05,0.1", "0:inf:1",
                     "0:0.9:1e-15", "0:0.9:1e-300", "-inf:0:1", "nan:1:1", "0:nan:0.1",
                     "0:0.1:0", "0:0.1:-0.01", "0.1:0:0.01", "1:2:0.1", "a:b:c", ":", "::",
                     "0:0.1", "0:0.1:0.01:1", ",", "", "0,,1", "0.1," * 500, "1e400",
                     "-0.9:0.9:0.1", "0:0.9:0.0001"]),
    st.lists(st.floats(-2, 2), min_size=1, max_size=4).map(lambda v: ",".join(map(repr, v))),
    st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(1e-6, 1)).map(
        lambda t: ":".join(map(repr, t))),
)
targets = st.sampled_from(["expected-net", "prob-loss=0.2", "prob-loss=0", "prob-loss=1",
                           "prob-loss=-1", "prob-loss=nan", "prob-loss=", "prob-loss", "x",
                           "", "prob-loss=0.2=3", "EXPECTED-NET"])
solves = st.sampled_from(["effect", "price", "fee", "personal_budget", "personal-budget", "x",
                          "", "EFFECT"])
fees = st.sampled_from(["both", "annual", "per_participant", "x", ""])
providers = st.sampled_from(["small-charity", "national-prime", "nope", "", "{tmp}",
                             "{tmp}/spec.toml", "{tmp}/missing.toml", "{tmp}/out.xlsx",
                             "tr-crc-example", "x" * 300])
#: Output places: fresh, existing, a folder, the spec itself, unwritable, too long.
outputs = st.sampled_from(["{tmp}/out.xlsx", "{tmp}/out.xlsx", "{tmp}/exists.xlsx",
                           "{tmp}/dir", "{tmp}/spec.toml", "{tmp}/no/such/dir/out.xlsx",
                           "{tmp}/out.txt", "{tmp}/" + "n" * 300 + ".xlsx", "/proc/out.xlsx",
                           "{tmp}/exists.xlsx/inside.xlsx", ""])
folders = st.sampled_from(["{tmp}/tables", "{tmp}/tables", "{tmp}/dir", "{tmp}/exists.xlsx",
                           "{tmp}/spec.toml", "{tmp}", "{tmp}/" + "d" * 300, "/proc/tables",
                           ""])

VALUED = {"--sims": counts, "--seed": seeds, "--chunk-size": counts,
          "--volume-shock": shares, "--paid-volume-shock": shares, "--caseload-shock": shares,
          "--share": shares, "--fee-share": shares, "--pbr-share": shares,
          "--effects": effects, "--target": targets, "--solve": solves, "--fees": fees,
          "-p": providers, "--xlsx": outputs, "--csv": folders, "--parquet": folders,
          "--set": st.sampled_from(["cohorts.entrants_per_period=50", "x=1", "=", ""]),
          "--observed": st.sampled_from(["{observed}", "{tmp}/spec.toml", "{tmp}/dir",
                                         "{tmp}/missing.csv", "/dev/null", ""]),
          "--from": st.sampled_from(["peterborough-sib", "{tmp}/spec.toml", "nope", "",
                                     "{tmp}/exists.xlsx"])}
SWITCHES = ["--json", "--force", "--xlsx-sims", "--markdown", "--help", "--version"]

#: Each command with the flags it takes (and some it does not, to be refused).
COMMANDS = {
    "simulate": ["--sims", "--seed", "--chunk-size", "--volume-shock", "--paid-volume-shock",
                 "--caseload-shock", "--xlsx", "--csv", "--parquet", "--set", "--json",
                 "--force", "--xlsx-sims"],
    "capital": ["--sims", "--seed", "--chunk-size", "--volume-shock", "--paid-volume-shock",
                "--caseload-shock", "--share", "--fee-share", "--pbr-share", "-p", "-p",
                "--xlsx", "--csv", "--json", "--force", "--xlsx-sims"],
    "power": ["--effects", "--effects", "--sims", "--seed", "--xlsx", "--csv", "--json",
              "--force"],
    "breakeven": ["--solve", "--solve", "--fees", "--target", "-p", "--share", "--fee-share",
                  "--pbr-share", "--sims", "--seed", "--volume-shock", "--xlsx", "--json"],
    "settle": ["--observed", "--observed", "--xlsx", "--csv", "--parquet", "--json",
               "--force", "--set"],
    "show": ["--json", "--set"],
    "template": ["--from", "--force", "--set"],
    "validate": [],
}
SPECS = {"simulate": "{tmp}/spec.toml", "capital": "{tmp}/spec.toml", "power": "{tmp}/spec.toml",
         "breakeven": "{tmp}/spec.toml", "settle": "{tmp}/spec.toml", "show": "{tmp}/spec.toml",
         "template": "{tmp}/out.xlsx", "validate": "{tmp}/spec.toml"}
PETERBOROUGH = Path(__file__).resolve().parents[2] / "contracts" / "peterborough_sib.toml"
OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed" / "peterborough.csv"


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    argv = [command]
    if draw(st.integers(0, 9)):
        argv.append(SPECS[command])
    else:
        argv.append(draw(st.sampled_from(NASTY_TEXT[:8] + ["{tmp}", "{tmp}/missing.toml"])))
    wanted = draw(st.lists(st.sampled_from(COMMANDS[command] or ["--json"]), max_size=5))
    if command == "breakeven" and draw(st.integers(0, 4)):
        wanted.insert(0, "--solve")
    if command == "settle" and draw(st.integers(0, 4)):
        wanted.insert(0, "--observed")
    if draw(st.integers(0, 19)) == 0:  # a flag the command may not take
        wanted.append(draw(st.sampled_from(sorted(VALUED) + SWITCHES)))
    for flag in wanted:
        argv.append(flag)
        if flag in VALUED:
            argv.append(draw(VALUED[flag]))
    if command in ("simulate", "capital", "power", "breakeven") and "--sims" not in wanted:
        argv += ["--sims", "20"]
    return argv


def _place(argv: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)).replace("{observed}", str(OBSERVED)) for a in argv]


@pytest.mark.slow
@fuzz_settings(50)
@given(argv=command_lines())
def test_flags(argv):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copy(PETERBOROUGH, tmp / "spec.toml")
        (tmp / "exists.xlsx").write_bytes(b"not a workbook")
        (tmp / "dir").mkdir()
        check("flags", _place(argv, tmp))
