"""``pbr indigo``'s views: what the INDIGO project holds, on screen, and the project file;
and the table ``pbr settle --indigo`` adds (the project's actual outcome payments beside
the settlement's)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..files import atomic_write, check_output
from .format import money


def project_json(result) -> str:
    """The project as written: UTF-8 JSON, keys in INDIGO's order, two-space indents."""
    return json.dumps(result.project, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_indigo(result, path: str | Path, *, force: bool = False) -> Path:
    """Write the INDIGO project to ``path`` (``.json``), never over an input, nor over an
    existing file without ``force``; atomically."""
    path = check_output(path, force=force, suffix=".json", kind="an INDIGO project (JSON)",
                        inputs=result.provenance.inputs)
    text = project_json(result)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path


def indigo_view(result, out: Path | None = None) -> Group:
    """What the project holds, section by section, with the payments' totals."""
    p = result.project
    cur = result.currency
    t = FitTable(title=f"{p['name']['value']}: INDIGO 4.1.0 project", title_justify="left",
              caption=f"spec {result.spec_sha256[:12]} · {result.sims:,} simulations, seed "
                      f"{result.seed} · pbr-model {result.version}", caption_justify="left")
    t.add_column("INDIGO section")
    t.add_column("records", justify="right")
    t.add_column("what they hold", overflow="fold")
    pays = p.get("outcome_payments", [])
    total = {kind: sum(x["money"]["amount"]["value"] for x in pays if x["type"]["value"] == kind)
             for kind in ("Planned", "Actual")}
    count = {kind: sum(x["type"]["value"] == kind for x in pays) for kind in total}
    rows = [
        ("outcome_metrics", len(p["outcome_metrics"]),
         ", ".join(m["id"] for m in p["outcome_metrics"])),
        ("outcome_pricings", len(p["outcome_pricings"]), "one per rate, schedule or sum at risk"),
        ("outcome_payment_commitments", len(p["outcome_payment_commitments"]),
         "one per outcome payer"),
        ("investments", len(p.get("investments", [])),
         "the [sib] tranches" if p.get("investments") else "no [sib]"),
        ("outcome_payments: Planned", count["Planned"],
         f"{money(total['Planned'], cur)} in all: each month's mean over the simulations"),
        ("outcome_payments: Actual", count["Actual"],
         f"{money(total['Actual'], cur)} in all: pbr settle on {result.observed}"
         if result.observed else "none: give --observed FILE.csv"),
        ("results", len(p.get("results", [])),
         "each observed cohort's results per metric" if p.get("results")
         else "none: give --observed FILE.csv"),
    ]
    for name, n, what in rows:
        t.add_row(name, str(n), what)
    parts = [t]
    if out is not None:
        parts.append(Text(f"Settle on it: pbr settle SPEC --indigo {out}"))
    return Group(*parts)


def actual_payments_table(s) -> FitTable:
    """``pbr settle --indigo``: the project's actual outcome payments beside the
    settlement's, by payment month."""
    cur = s.currency
    t = FitTable(title="Actual outcome payments (INDIGO) beside this settlement",
              title_justify="left")
    for name in ("Paid in", "Cohorts", "Actual", "Settled", "Difference"):
        t.add_column(name, justify="left" if name == "Paid in" else "right")
    for r in s.actual_payments:
        t.add_row(r["date"], ", ".join(map(str, r["cohorts"])),
                  "-" if r["actual"] is None else money(r["actual"], cur),
                  money(r["settled"], cur),
                  "-" if r["difference"] is None else money(r["difference"], cur))
    return t


def skipped_note(s) -> Text | None:
    """``pbr settle --indigo``: the project's results left out (no payment rule reads
    them), or None when every result was read."""
    if not s.skipped_results:
        return None
    n = len(s.skipped_results)
    return Text(f"Skipped {n} INDIGO result{'s' if n > 1 else ''} no payment rule reads: "
                + "; ".join(f"{r['field']}: {r['reason']}" for r in s.skipped_results))
