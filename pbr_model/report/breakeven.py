"""``pbr breakeven`` on screen: the answer, how it was found, the objective there and the
spec as it stands. Reads :class:`~pbr_model.breakeven.BreakevenResult`; computes nothing."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..breakeven import BreakevenResult
from .format import money, number, pct


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

