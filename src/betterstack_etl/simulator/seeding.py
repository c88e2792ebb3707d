"""Seeded pseudo-random generators: simulated data, never anything secret."""

from __future__ import annotations

import random

__all__ = ["seeded"]


def seeded(*parts: object) -> random.Random:
    """A generator seeded from ``"p1:p2:…"``: the same parts always give the same stream."""
    return random.Random(":".join(str(p) for p in parts))  # noqa: S311 (not for security)
