"""``pbr breakeven``: the effect, personal budget or price level at which a provider breaks even."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..breakeven import SOLVES, BreakevenResult, breakeven, check_solve, parse_target
from ..errors import InputError
from ..report.format import money, number, pct
from ..report.json import dumps
from ..simulate import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args, check_volume_shock
from ..spec import DEFAULT_CONTRACT, load_spec
from ..spec.load import load_profile
from .app import app, handles_errors, out
from .capital import ShockOpt
from .progress import LazyProgress
from .simulate import FLAGS, SetOpt, SpecArg


@app.command("breakeven")
@handles_errors
def breakeven_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    solve: Annotated[Optional[str], typer.Option(
        "--solve", metavar="|".join(SOLVES),
        help="Required. What to solve for: 'effect' (smallest known true effect on every "
             "outcome), 'personal_budget' (largest budget per participant who takes it up) or "
             "'price' (smallest factor on every outcome price, tier amount, cap and "
             "foundation).")] = None,
    target: Annotated[str, typer.Option(
        "--target", metavar="expected-net|prob-loss=P",
        help="What the provider needs: expected net >= 0, or a chance of a loss of at most P.")]
        = "expected-net",
    provider: Annotated[Optional[str], typer.Option(
        "--provider", "-p", metavar="NAME",
        help="Judge by this provider profile's net after financing, in a seat of its own on "
             "its profile's terms (bundled name, see `pbr providers`, or TOML file). Omit for "
             "the contract's own net before financing.")] = None,
    sims: Annotated[int, typer.Option("--sims", "-n", help="Simulations per value tried.")]
        = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same for every value "
                                      "tried).")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    volume_shock: ShockOpt = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]
        = False,
) -> None:
    """Break-even: the value of one parameter at which the provider's target is just met,
    found by root-finding on simulations that share one seed (so the answer is stable).
    Prints the answer, the bracket it was found in, the objective there with its Monte
    Carlo standard error, and the spec as it stands for comparison.

    \b
    Examples:
      pbr breakeven --solve effect
      pbr breakeven tr-crc-example --solve personal_budget --target prob-loss=0.2
      pbr breakeven tr-crc-example --solve price --provider small-charity --sims 1000
      pbr breakeven peterborough-sib --solve effect --volume-shock 0.3 --json
    """
    problems = []
    name = goal = profile = None
    try:
        check_run_args(sims, seed, DEFAULT_CHUNK, FLAGS)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        check_volume_shock(volume_shock, "--volume-shock")
    except InputError as exc:
        problems.extend(exc.problems)
    if solve is None:
        problems.append(f"--solve: required; one of {', '.join(SOLVES)}")
    else:
        try:
            name = check_solve(solve)
        except InputError as exc:
            problems.extend(exc.problems)
    try:
        goal = parse_target(target)
    except InputError as exc:
        problems.extend(exc.problems)
    if provider is not None:
        try:
            profile = load_profile(provider)
        except InputError as exc:
            problems.extend(exc.problems)
        except Exception as exc:  # SpecError: keep collecting
            if not hasattr(exc, "problems"):
                raise
            problems.extend(f"--provider {p}" for p in exc.problems)
    if problems:
        raise InputError(problems)
    loaded = load_spec(spec, overrides or [])
    with LazyProgress("Solving") as bar:
        result = breakeven(loaded, name, goal, profile, sims=sims, seed=seed,
                           volume_shock=volume_shock, progress=bar)
    if as_json:
        typer.echo(dumps(result.to_dict()))
    else:
        out.print(breakeven_view(result))


def _value(r: BreakevenResult, x: float, precise: bool = False) -> str:
    """The parameter as read (``precise``: to within its tolerance, for the bracket)."""
    if r.solve == "effect":
        return pct(x, 3 if precise else 2)
    if r.solve == "personal_budget":
        return number(x, 2) if precise else money(x, r.currency)
    return f"x{number(x, 5 if precise else 4)}"


def breakeven_view(r: BreakevenResult) -> Group:
    """A few lines: the answer, how it was found, the objective there, and the spec now."""
    cur = r.currency
    whose = "the contract's net" if r.provider is None else \
        f"{r.provider.name}'s net after financing (its own seat, on its profile's terms)"
    lo, hi = r.search_range
    head = Text(f"{r.spec.contract.name}: break-even {r.parameter}", style="bold")
    if r.status == "not_reached":
        best = hi if (r.solve != "personal_budget") else lo
        answer = Text.assemble(("Not reached: ", "bold"),
                               f"{r.target.label} fails even at {_value(r, best)}, the most "
                               f"favourable end of the range searched ({_value(r, lo)} to "
                               f"{_value(r, hi)}); the best value tried was "
                               f"{_value(r, r.answer.x)}.")
    elif r.status == "at_bound":
        edge = "lowest" if r.solve in ("effect", "price") else "highest"
        answer = Text.assemble(("Answer: ", "bold"), f"{_value(r, r.value)} ({r.target.label} "
                               f"holds across the whole range {_value(r, lo)} to {_value(r, hi)}; "
                               f"this is its {edge} end).")
    else:
        word = "largest" if r.solve == "personal_budget" else "smallest"
        tol = f"{r.tolerance:g}" if r.solve == "price" else _value(r, r.tolerance)
        answer = Text.assemble(("Answer: ", "bold"), f"{_value(r, r.value)}, the {word} value "
                               f"with {r.target.label}; bracket {_value(r, r.bracket[0], True)} to "
                               f"{_value(r, r.bracket[1], True)} after {r.steps} steps "
                               f"({r.trials} values tried, tolerance {tol}).")
    a, c = r.answer, r.current
    where = "best value tried" if r.status == "not_reached" else "answer"
    lines = [
        head, answer,
        Text(f"At the {where}: expected net {money(a.expected_net, cur)} "
             f"(MC s.e. {money(a.se_net, cur)}), P(loss) {pct(a.prob_loss)} "
             f"(MC s.e. {pct(a.se_prob)}); result = {whose}."),
        Text(f"The spec now ({_value(r, r.current_value)}"
             + (", its effect uncertain" if r.solve == "effect" else "")
             + f"): expected net {money(c.expected_net, cur)}, P(loss) {pct(c.prob_loss)}."),
    ]
    ctx = r.context
    pay = f"Expected outcome payment per participant now: {money(ctx['outcome_per_participant'], cur)}"
    if r.solve == "personal_budget" and ctx["outcome_per_taker"] is not None:
        pay += (f"; per budget taker {money(ctx['outcome_per_taker'], cur)} (what outcome "
                "payments alone could fund)")
    lines.append(Text(pay + "."))
    parts: list = [Text("\n").join(lines)]
    if r.prices:
        t = Table(title="Prices at the answer", title_justify="left")
        for col, justify in (("Field (--set path)", "left"), ("Now", "right"),
                             ("At the answer", "right")):
            t.add_column(col, justify=justify)
        for p in r.prices:
            t.add_row(p["path"], money(p["current"], cur),
                      "-" if p["at_answer"] is None else money(p["at_answer"], cur))
        parts.append(t)
    parts.append(Text(
        f"{r.sims:,} simulations per value · seed {r.seed} · spec {r.spec_sha256[:12]} · "
        f"pbr-model {r.version}" + (f" · volume shock {pct(r.volume_shock, 0)}"
                                    if r.volume_shock else ""), style="dim"))
    parts.append(Text("The answer is where the simulated objective, with this seed, crosses the "
                      "target (every value tried uses the same random numbers); the s.e. says "
                      "how much another seed could move the objective there.", style="dim"))
    return Group(*parts)

