"""The schema's own extreme values run: a walk of every numeric field of every bundled
contract, provider profile and portfolio, set one at a time (and a few at once, by
hypothesis) to the edges its bounds allow, through ``pbr simulate`` and ``pbr capital``.

Each run ends in exit 0 with strict JSON, or exit 2 with ``Error:`` lines (a cross-field
rule refusing the combination); never a traceback, never a numpy floating-point warning
(they are errors here) and within a bounded time. The extremes are read from the
schema's bounds, so when a bound is tightened the test follows it.
"""

from __future__ import annotations

import json
import time
import tomllib
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from pbr_model.cli import app
from pbr_model.spec import DEFAULT_CONTRACT, fields, load_spec
from pbr_model.spec.load import bundled_providers
from pbr_model.spec.parties import ProviderProfile

#: The bundled contracts, the default first: it is walked whole, then each field it lacks on
#: the first of the others that has it; a slow test walks the others whole.
CONTRACTS = [DEFAULT_CONTRACT, "nyc-able-sib", "ma-roca-pfs", "nys-ceo-pfs",
             "peterborough-sib", "doncaster-pbr", "tr-crc-any-cut"]
#: Positive values far below any meaningful one: the smallest subnormal, a tiny normal,
#: and the custody sd of the issue.
TINY = (5e-324, 1e-300, 1e-160)
HUGE = float(np.finfo(float).max)
SIMS = "20"
#: Seconds one run may take (a run takes well under one; the machine may be busy).
TIME_LIMIT = 20


#: Sections only ``pbr capital`` reads (the rest run through ``pbr simulate``, which also
#: pays the contract and finances the prime on its [provider] terms).
FINANCE = {"supply_chain", "sib", "commissioner"}

def extremes(info) -> list[float | int]:
    """The edges a field's bounds allow: each bound if inclusive, the nearest value inside
    if exclusive, the largest float (or int64) if unbounded, and tiny positives above 0."""
    bounds = fields.bounds(info)
    if fields.kinds(info.annotation) & {"int", "float"} == {"int"}:
        lo = bounds.get("ge", bounds["gt"] + 1 if "gt" in bounds else None)
        hi = bounds.get("le", bounds["lt"] - 1 if "lt" in bounds else None)
        out = [lo if lo is not None else -(2**63), hi if hi is not None else 2**63 - 1]
        return list(dict.fromkeys(int(v) for v in out))
    out: list[float] = []
    lo = bounds.get("ge", bounds.get("gt"))
    if "ge" in bounds:
        out.append(float(bounds["ge"]))
    if "gt" in bounds:
        out.append(float(np.nextafter(bounds["gt"], np.inf)))
    if lo == 0:
        out += TINY
    if lo is None:
        out.append(-HUGE)
    if "le" in bounds:
        out.append(float(bounds["le"]))
    if "lt" in bounds:
        out.append(float(np.nextafter(bounds["lt"], -np.inf)))
    if "le" not in bounds and "lt" not in bounds:
        out.append(HUGE)
    return list(dict.fromkeys(out))


def numeric_fields(model: BaseModel, prefix: str = ""):
    """``(path, model class, field name, info)`` of every numeric leaf field of a
    validated model (unset optional ones included), lists of sections by index."""
    for path, owner, name, info, _ in fields.leaves(model, prefix):
        kinds = fields.kinds(info.annotation)
        if kinds & {"int", "float"} and not kinds & {"bool", "list"}:
            yield path, type(owner), name, info


def _walk() -> list[tuple[str, str, float | int]]:
    """Every numeric field of the default contract at every edge, then every (model, field)
    of the schema it lacks at every edge, on the first contract that has it. The sections
    only ``pbr capital`` reads are walked once each, on the quickest contract that has them
    (a SIB's capital run takes a tenth of the default contract's)."""
    seen, cases = set(), []
    for contract in [*CONTRACTS, DEFAULT_CONTRACT]:
        finance_pass = contract == DEFAULT_CONTRACT and contract in (c for c, _, _ in cases)
        for path, model, name, info in numeric_fields(load_spec(contract).spec):
            key = (model.__qualname__, name)
            finance = path.split(".")[0] in FINANCE
            if contract == DEFAULT_CONTRACT and finance != finance_pass:
                continue
            if key in seen and not (contract == DEFAULT_CONTRACT and not finance):
                continue
            seen.add(key)
            cases += [(contract, path, v) for v in extremes(info)]
    return cases


WALK = _walk()

#: Fields whose bounds a validator checks (lists, and a lag or list of lags), at their edges.
LIST_EXTREMES = [
    ("tr-crc-example", "cohorts.entrants_per_period", v) for v in (0.0, 5e-324, 1e7)] + [
    ("tr-crc-example", "cohorts.paid_volume_per_period", v) for v in (0.0, 1e-300, 1e7)] + [
    ("ma-roca-pfs", "intervention.effect.by_band", v) for v in ("[0.0, 10.0]", "[10, 10]")] + [
    ("tr-crc-example", "payments.0.top_ups", v) for v in ("[1e12, 0.0, 5e-324]",)] + [
    ("tr-crc-example", "contract.result_lag_months", v) for v in (18, 240)] + [
    ("peterborough-sib", "contract.result_lag_months", v) for v in (18, 240, 2**63 - 1)]

_runner = CliRunner()


def run(*args: str):
    """``pbr ARGS --json`` in process with numpy's floating-point warnings as errors; the
    result and the seconds it took."""
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn"):
        warnings.simplefilter("error", RuntimeWarning)
        result = _runner.invoke(app, [*args, "--sims", SIMS, "--json"], catch_exceptions=True)
    return result, time.perf_counter() - start


def check(result, seconds: float) -> None:
    """Exit 0 with one strict JSON object, or exit 2 with only ``Error:`` lines; never a
    traceback or a warning; in bounded time."""
    assert seconds < TIME_LIMIT, seconds
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        def refuse(name):
            raise AssertionError(f"non-JSON constant {name} in --json output")
        data = json.loads(result.stdout, parse_constant=refuse)
        for name, value in headline(data):
            assert isinstance(value, (int, float)), (name, value)  # null: NaN or infinite
        return
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (
        result.exit_code, result.exception, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), result.stderr


def headline(data: dict):
    """``(name, value)`` of the figures every run must give as numbers: what is paid and
    each party's revenue, cost and net (JSON has no NaN or infinity: they come as null)."""
    if "payments" in data:  # simulate
        yield "payments.total.mean", data["payments"]["total"]["mean"]
        for key in ("revenue", "cost", "net"):
            yield f"provider.{key}.mean", data["provider"][key]["mean"]
    for i, party in enumerate(data.get("providers", [])):  # capital
        for key in ("revenue", "cost", "net", "peak_funding"):
            yield f"providers.{i}.{key}.mean", party[key]["mean"]


def _value(v) -> str:
    return v if isinstance(v, str) else repr(v)


@pytest.mark.parametrize(("contract", "path", "value"), WALK + LIST_EXTREMES,
                         ids=[f"{c}:{p}={_value(v)}" for c, p, v in WALK + LIST_EXTREMES])
def test_every_field_at_its_extremes_runs(contract, path, value):
    """Each numeric field of the schema at each edge it allows, through ``pbr capital``
    (which simulates, pays, finances and prices every party)."""
    command = "capital" if path.split(".")[0] in FINANCE else "simulate"
    check(*run(command, contract, "--set", f"{path}={_value(value)}"))


def test_the_walk_reaches_every_section():
    """The walk is not empty-handed: it covers the sections the engine reads."""
    paths = {p.rsplit(".", 1)[0].split(".")[0] for _, p, _ in WALK}
    assert {"contract", "cohorts", "population", "trend", "intervention", "evaluation",
            "outcomes", "payments", "provider", "supply_chain", "sib", "commissioner",
            "termination", "area"} <= paths, paths
    assert len({(p, v) for _, p, v in WALK}) > 150


@pytest.mark.slow
@pytest.mark.parametrize("contract", CONTRACTS[1:])
def test_every_field_of_each_contract_at_an_extreme(contract):
    """Every numeric field of each other bundled contract at one of its edges (in turn,
    field by field: the lower edge, a tiny one, the upper...) through ``pbr simulate``:
    the same field can meet another contract's mechanism, design or finance."""
    for i, (path, _, _, info) in enumerate(numeric_fields(load_spec(contract).spec)):
        edges = extremes(info)
        check(*run("simulate", contract, "--set", f"{path}={edges[i % len(edges)]!r}"))


# -- provider profiles and portfolios -----------------------------------------------------------

def _profile_cases():
    base = tomllib.loads(bundled_providers()["small-charity"].read_text())
    for name, info in ProviderProfile.model_fields.items():
        kinds = fields.kinds(info.annotation)
        if kinds & {"int", "float"} and not kinds & {"bool", "list"}:
            for v in extremes(info):
                yield base, name, v


@pytest.mark.parametrize(("base", "name", "value"), list(_profile_cases()),
                         ids=[f"{n}={v!r}" for _, n, v in _profile_cases()])
def test_provider_profile_fields_at_their_extremes(tmp_path, base, name, value):
    """A provider profile's numeric fields at their edges, put in a seat of a SIB."""
    data = {**base["provider"], name: value}
    lines = ["[provider]"] + [f"{k} = {json.dumps(v) if isinstance(v, str) else repr(v)}"
                              for k, v in data.items()]
    profile = tmp_path / "p.toml"
    profile.write_text("\n".join(lines) + "\n")
    check(*run("capital", "nyc-able-sib", "--provider", str(profile)))


PORTFOLIO_CASES = [
    *(f"shared.{f}={v}" for f in ("effect_correlation", "volume_correlation") for v in (0.0, 1.0)),
    *(f"trend.{f}={v}" for f in ("binary_logit_sd", "frequency_log_sd") for v in (1.0, 1e-300)),
    "trend.correlation=-1.0", "trend.binary_logit_drift=-1.0", "trend.frequency_log_drift=1.0",
    "owner.reserves=1e12", "owner.cost_of_capital=1.0", "owner.facility_rate=0.0",
    'areas.0.set=["area.binary_logit_sd=2", "area.frequency_log_period_sd=2"]',
    'areas.1.set=["area.binary_logit_period_sd=1e-300", "cohorts.entrants_per_period=0"]',
]


@pytest.mark.slow
@pytest.mark.parametrize("setting", PORTFOLIO_CASES)
def test_portfolio_fields_at_their_extremes(setting):
    """A portfolio's own fields (shared risk, trend, owner, each area's [area]) at edges."""
    check(*run("capital", "working-links-like", "--set", setting))


# -- several extremes at once -------------------------------------------------------------------

_SIB = "nyc-able-sib"
_SIB_FIELDS = [(p, extremes(i)) for p, _, _, i in numeric_fields(load_spec(_SIB).spec)]


@st.composite
def _several(draw):
    picks = draw(st.lists(st.sampled_from(_SIB_FIELDS), min_size=2, max_size=4,
                          unique_by=lambda f: f[0]))
    return [f"{path}={draw(st.sampled_from(values))!r}" for path, values in picks]


@settings(max_examples=25, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_several())
def test_several_extremes_at_once_run(settings_):
    """Pairs break what single values do not (a tiny sd with a huge mean): two to four
    fields of a SIB at their edges together."""
    args = [a for s in settings_ for a in ("--set", s)]
    check(*run("capital", _SIB, *args))
