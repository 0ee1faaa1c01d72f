"""Where things are: the repository, the virtualenv's console scripts, the broker launcher."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv's bin/: the `chatguard` console script
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
