"""Fuzz ``--set PATH=VALUE``: paths from the schema (every field, lists at odd indices) and
from the bundled contracts' own fields, values of every TOML type and none, on ``show``,
``simulate`` and ``settle``. Every run must exit 0, or exit 2 with ``Error:`` lines; never a
traceback."""

from __future__ import annotations

import math
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import NASTY_NUMBERS, NASTY_TEXT, OBSERVED, check, fuzz_settings
from pbr_model.spec import load_spec
from pbr_model.spec import fields
from pbr_model.spec.schema import PAYMENT_TYPES, ContractSpec


#: each field path template's bounds (``{"ge": 0, "le": 1}``), for values at the edges
BOUNDS: dict[str, dict[str, float]] = {}


def _templates(model, prefix: str = "") -> list[str]:
    """Every field path of ``model``, with ``{}`` where a list index goes."""
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        out.append(path)
        if fields.bounds(info):
            BOUNDS.setdefault(path, {}).update(fields.bounds(info))
        if name == "payments" and model is ContractSpec:
            for variant in PAYMENT_TYPES.values():
                out += _templates(variant, path + ".{}.")
            continue
        sub = fields.model_of(info.annotation)
        if sub is not None:
            is_list = typing.get_origin(fields.unwrap(info.annotation)) is list
            out += _templates(sub, path + (".{}." if is_list else "."))
    return out


TEMPLATES = sorted(set(_templates(ContractSpec)))
CONTRACTS = ["tr-crc-example", "peterborough-sib", "doncaster-pbr", "nyc-able-sib",
             "ma-roca-pfs", "nys-ceo-pfs", "tr-crc-any-cut"]
#: each bundled contract's own leaf paths (real list indices)
LEAVES = {name: [row.path for row in fields.flatten(load_spec(name).spec)]
          for name in CONTRACTS}

indices = st.sampled_from(["0", "1", "2", "3", "10", "-1", "1000000000", "x", "", "0.5"])


@st.composite
def set_paths(draw, contract: str) -> str:
    if draw(st.booleans()):
        path = draw(st.sampled_from(LEAVES[contract]))
    else:
        template = draw(st.sampled_from(TEMPLATES))
        path = template.format(*(draw(indices) for _ in range(template.count("{}"))))
    op = draw(st.sampled_from(["as is"] * 6 + ["old", "upper", "extra", "trim", "dots"]))
    if op == "old":
        path = path.replace("binary_price", "price").replace("entrants_per_period", "size")
    elif op == "upper":
        path = path.upper()
    elif op == "extra":
        path += "." + draw(st.sampled_from(["x", "0", "mean", "type"]))
    elif op == "trim":
        path = path.rsplit(".", 1)[0]
    elif op == "dots":
        path = path.replace(".", "..", 1)
    return path


set_values = st.one_of(
    st.sampled_from([repr(x) for x in NASTY_NUMBERS]),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(["0", "1", "0.1", "-0.1", "12", "true", "false", '"text"', "'text'",
                     "[1, 2]", "[]", "{}", "{ a = 1 }", "[{ type = \"fee\" }]", "2020-01-01",
                     "9999-12-31", "1979-05-27T07:32:00Z", "07:32:00", "[" * 2000 + "]" * 2000,
                     "{ a = " * 500 + "1" + " }" * 500, "\"unterminated", "1 2", "1=2"]),
    st.integers(-(2**64), 2**64).map(str),
    st.floats().map(repr),
    st.text(max_size=20),
)


def edges(bounds: dict[str, float]) -> list[float]:
    """Values the schema allows at and next to its bounds, and just outside them."""
    out = []
    for key, bound in bounds.items():
        inward = math.inf if key in ("ge", "gt") else -math.inf
        near = [math.nextafter(bound, inward), bound + math.copysign(1e-17, inward),
                bound + math.copysign(1e-160, inward), bound + math.copysign(1e-300, inward),
                math.nextafter(bound, -inward)]
        out += ([bound] if key in ("ge", "le") else []) + near
    if "ge" not in bounds and "gt" not in bounds:
        out += [-1e300, -1e15]
    if "le" not in bounds and "lt" not in bounds:
        out += [1e300, 1e15, 2**53 + 1]
    return out


def _template_of(path: str) -> str:
    return ".".join("{}" if part.isdigit() else part for part in path.split("."))


def inside(bounds: dict[str, float]) -> list[float]:
    """The edge values the schema allows."""
    def ok(v):
        return all(v >= b if k == "ge" else v > b if k == "gt" else v <= b if k == "le"
                   else v < b for k, b in bounds.items())
    return [v for v in edges(bounds) if ok(v)] or [0.0]


@st.composite
def overrides(draw, contract: str) -> list[str]:
    if draw(st.booleans()):  # the contract's own fields at the edges the schema allows
        items = []
        for _ in range(draw(st.integers(1, 2))):
            path = draw(st.sampled_from(LEAVES[contract]))
            bounds = BOUNDS.get(_template_of(path))
            if bounds:
                items.append(f"{path}={draw(st.sampled_from(inside(bounds)))!r}")
        if items:
            return [arg for item in items for arg in ("--set", item)]
    items = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 15)) == 0:
            items.append(draw(st.sampled_from(["", "=", "novalue", "a.b", ".=1", "=1"])))
            continue
        path = draw(set_paths(contract))
        bounds = BOUNDS.get(_template_of(path))
        if bounds and draw(st.booleans()):  # at the edge of what the schema allows
            value = repr(draw(st.sampled_from(edges(bounds))))
        else:
            value = draw(set_values)
        items.append(f"{path}={value}")
    return [arg for item in items for arg in ("--set", item)]


@pytest.mark.slow
@fuzz_settings(50)
@given(data=st.data())
def test_set_overrides(data):
    contract = data.draw(st.sampled_from(CONTRACTS), label="contract")
    sets = data.draw(overrides(contract), label="overrides")
    command = data.draw(st.sampled_from(["show", "simulate", "settle"]), label="command")
    argv = [command, contract, *sets]
    if command == "simulate":
        argv += ["--sims", "20"]
    elif command == "settle":
        observed = {"peterborough-sib": "peterborough.csv", "doncaster-pbr": "doncaster.csv",
                    "nyc-able-sib": "able_no_effect.csv"}.get(contract)
        if observed is None:
            argv[0] = "show"
        else:
            argv += ["--observed", str(OBSERVED / observed)]
    check("set", argv)
