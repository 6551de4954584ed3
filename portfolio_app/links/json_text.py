"""JSON text from clients and files, parsed so that no nesting can crash a request or a command."""

import gc
import json


def parse_json(text, parse_constant):
    """Return json.loads(text); nesting past Python's recursion limit is a ValueError."""
    # json recurses once per level of nesting. At the recursion limit a collection that
    # happens meanwhile runs finalizers with no stack left (each printed "Exception ignored
    # in sys.unraisablehook"), so none runs while parsing; and the RecursionError, which
    # callers catching ValueError would let through as a 500, is a ValueError here.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    finally:
        if collecting:
            gc.enable()
