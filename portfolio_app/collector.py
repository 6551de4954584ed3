"""The garbage collector of a long-lived worker process, set for a steady tail."""

import gc

# Objects allocated (less those freed) before the youngest generation is collected: Python's
# default, 700, makes a full collection come every few hundred big pages, and a full pass
# scans every object a worker keeps, SQLAlchemy's cached statements above all (about
# 140 ms at 400,000 objects). At 10,000, young collections and so full ones come
# fourteen times less often; the few thousand objects waiting longer cost nothing to speak
# of. Figures in docs/performance.md.
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_collector():
    """Freeze what start-up made and collect the young generation less often."""
    # Everything made so far (modules, the app, SQLAlchemy's mappers) lives as long as the
    # process: the collector need never scan it again.
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
