"""The one helper library of the benchmarks and reliability runs: throw-away instances, real
gunicorn servers, load drivers and figures, shared so every run measures the same way."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
