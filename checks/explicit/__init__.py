"""The explicit-state engine: every reachable state, breadth first (see `search`)."""

from tcpspec.checks.explicit.search import (
    Exploration,
    MemoryLimitExceeded,
    StateLimitExceeded,
    Stats,
    Verdict,
    explore,
)

__all__ = [
    "Exploration",
    "MemoryLimitExceeded",
    "StateLimitExceeded",
    "Stats",
    "Verdict",
    "explore",
]
