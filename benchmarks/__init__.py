"""Benchmarks of issue 6 (not part of the test suite): run ``python -m benchmarks``.

1. ``backfill``: 10 monitors × 60 days of incidents + daily SLA through the flow's own task
   functions, against the simulator at the pipeline's request budget: requests, wall time,
   ``(requests / rate) / wall`` and 429s;
2. ``backfill``: the same requests one at a time (the original pipeline's way), speed-up;
3. ``hourly``: the default hourly run (response times + incidents + SLA): requests per monitor;
4. ``merge``: response-time rows merged into a ``LocalLake`` per second and peak memory, for
   1 M and 10 M rows, each size in a fresh subprocess;
5. ``transform``: the original transform (pandas, every column ``astype(str)``) against
   ``response_time_rows`` on the same payload.

Figures are printed, never asserted. See ``docs/benchmarks.md``.
"""

from __future__ import annotations
