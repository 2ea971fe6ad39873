"""The ``--json`` output: a result's ``to_dict()`` as one strict JSON object."""

from __future__ import annotations

import json
import math
from typing import Any


def _clean(obj: Any) -> Any:
    # JSON has no NaN: an undefined figure (e.g. no reoffenders) becomes null.
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """Strict JSON (NaN and infinities as null), indented."""
    return json.dumps(_clean(obj), indent=2, allow_nan=False)
