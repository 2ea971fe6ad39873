"""The ``--json`` output: a result's ``to_dict()`` as one strict JSON object."""

from __future__ import annotations

import json
import math
from typing import Any


def clean(obj: Any) -> Any:
    """``obj`` with every non-finite float as None: JSON has no NaN, so an undefined
    figure (e.g. no reoffenders) becomes null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """Strict JSON (NaN and infinities as null), indented."""
    return json.dumps(clean(obj), indent=2, allow_nan=False)
