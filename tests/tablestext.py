"""The CSV text the exporter writes for a table, for tests that compare two ways of
making one (a whole frame or a callable yielding chunks)."""

from __future__ import annotations

import io

from pbr_model.report.export import _chunks, csv_safe


def csv_text(table) -> str:
    """The CSV text :func:`~pbr_model.report.export.write_tables` writes for ``table``."""
    out = io.StringIO()
    for i, frame in enumerate(_chunks(table)):
        csv_safe(frame).to_csv(out, index=False, header=(i == 0))
    return out.getvalue()
