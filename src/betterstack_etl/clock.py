"""The pipeline's clock: one place to read "now" (UTC), so tests can move it with the simulator."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    """Now, timezone-aware UTC. Tests monkeypatch this to follow the simulator's clock."""
    return datetime.now(UTC)
