"""The commissioner's lines of ``pbr capital``'s reading: what it pays, what it buys, what
it pays for noise, its net savings and net present value, and each outcome payer. Reads
the commissioner's JSON object (:func:`pbr_model.finance.commissioner.commissioner_summary`);
computes nothing."""

from __future__ import annotations

from rich.text import Text

from .format import money, number, pct
from .power import noise_text


def npv_lines(c: dict, m, repays: bool) -> list[tuple[str, str]]:
    """The net present value as two bounds, each said for what it is: against outcome
    payments every reoffence avoided is credited to them (the fee-funded service avoids some
    too), against all payments the whole service is charged to reoffending alone."""
    rate = pct(c["discount_rate"])
    return [
        (f"Net present value at {rate} real (mean)",
         f"reoffences avoided valued when they fall, {m(c['pv_value_of_avoided']['mean'])}, "
         f"less the payments' present value:"),
        ("  against outcome payments (upper bound)",
         f"{m(c['npv_vs_outcome']['mean'])}, below 0 in "
         f"{pct(c['prob_npv_vs_outcome_negative'])}: credits every reoffence avoided to the "
         "payments for results"
         + (" (here repayments, which count as a gain)" if repays else "")),
        ("  against all payments (lower bound)",
         f"{m(c['npv_vs_total']['mean'])}, below 0 in {pct(c['prob_npv_vs_total_negative'])}: "
         "charges the whole service, which would be bought anyway, to reoffending alone"),
    ]


def commissioner_lines(c: dict, cur: str, repays: bool = False) -> Text:
    """The commissioner's figures, a line each; ``repays``: the outcome payments are
    repayments (:func:`repays_only`), and the lines say so."""
    m = lambda v: money(v, cur)  # noqa: E731
    outcomes = (f"outcomes {m(c['outcome_paid']['mean'])}"
                + (", repaid by the provider where targets were missed" if repays else ""))
    lines = [
        ("Commissioner pays (mean)", f"{m(c['total_paid']['mean'])} "
         f"(fees {m(c['fees_paid']['mean'])}, {outcomes}); "
         f"PV at {pct(c['discount_rate'])} real {m(c['pv_paid']['mean'])} (prices of the "
         f"start: the cash deflated {pct(c.get('inflation', 0.0))} a year)"),
        ("Reoffences avoided (mean, P5-P95)", f"{number(c['reoffences_avoided']['mean'])} "
         f"({number(c['reoffences_avoided']['p5'])} to {number(c['reoffences_avoided']['p95'])})"),
        ("Paid per reoffence avoided", f"{m(c['cost_per_reoffence_avoided'])} in all, "
         f"{m(c['outcome_cost_per_reoffence_avoided'])} in outcome payments"
         + (" (repayments: negative)" if repays else "")),
        ("Paid for noise: at no true effect, as pbr power (noise, and any trend the design "
         "does not remove)", noise_text(c, cur)),
        ("P(pays | drawn effect nil or harmful)",
         f"{pct(c['paid_given_no_drawn_effect'])} (such an effect drawn in "
         f"{pct(c['prob_no_effect'])} of simulations)"),
        ("P(pays though no reoffences avoided)", pct(c["paid_without_avoided"])
         + (" (its outcome mechanism only repays: read paid for noise, the chance the "
            "target is met with no true effect)" if repays else "")),
    ]
    if c.get("cost_per_reoffence") is not None:
        lines.append((f"Net savings at {m(c['cost_per_reoffence'])} a reoffence (mean)",
                      f"{m(c['net_savings_vs_outcome']['mean'])} against outcome payments, "
                      f"{m(c['net_savings_vs_total']['mean'])} against all payments"))
        if "npv_vs_total" in c:
            lines += npv_lines(c, m, repays)
    else:
        lines.append(("Net savings", "give commissioner.cost_per_reoffence to see them"))
    for p in c.get("payers", []):
        terms = p["pays_for"]
        if len(terms) > 1 and p["cap"] is not None:   # one cap over every mechanism
            what = (" and ".join(f"{pct(t['share'])} of {t['mechanism']}" for t in terms)
                    + f", up to {m(p['cap'])} over all of them")
        else:
            what = "; ".join(f"{pct(t['share'])} of {t['mechanism']}"
                             + (f" up to {m(t['cap'])}" if t["cap"] is not None else "")
                             for t in terms)
        capped = p["cap"] is not None or any(t["cap"] is not None for t in terms)
        lines.append((f"Payer: {p['name']}",
                      f"pays {what}: {m(p['expected_paid'])} on average; "
                      + (f"its cap reached in {pct(p['prob_cap_binds'])} of simulations; "
                         if capped else "no cap; ")
                      + "paid for noise "
                      f"{noise_text(p, cur) if 'paid_for_noise' in p else '-'}"))
    width = max(len(label) for label, _ in lines) + 2
    return Text("Commissioner\n", style="bold") + Text("\n").join(
        Text.assemble((label.ljust(width), "bold"), value) for label, value in lines)
