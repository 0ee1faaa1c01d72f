"""Logging set-up shared by every chatguard process (the ingest service, the worker).

``CHATGUARD_LOG_LEVEL`` sets chatguard's own level, but never lowers the libraries that see
message text below INFO: at DEBUG aiokafka's producer logs every record it sends (key and
value), Faust/mode log the events they handle, and uvicorn/websockets log WebSocket frames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.settings import load, setting

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Loggers that print record values, frames or request bodies at DEBUG (or TRACE).
QUIET_LOGGERS = ("aiokafka", "kafka", "faust", "mode", "uvicorn", "websockets", "wsproto", "httpcore", "httpx")
LIBRARY_FLOOR = logging.INFO
# uvicorn logs each WebSocket's client address at INFO ("1.2.3.4:5 - WebSocket /widget/ws
# [accepted]"): a visitor's address is personal data. Its loggers (which it sets itself, by
# name) stay at WARNING or above.
ADDRESS_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
ADDRESS_FLOOR = logging.WARNING


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = setting(
        "CHATGUARD_LOG_LEVEL",
        "INFO",
        "chatguard's own level. aiokafka, kafka, Faust, mode, uvicorn and websockets stay at `INFO` or above "
        "whatever it says (at DEBUG they log record values and frames; `runtime/logs.py`)",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        parse=lambda raw: raw.strip().upper(),
    )


def log_level(environ: Mapping[str, str] | None = None) -> int:
    """The level ``CHATGUARD_LOG_LEVEL`` names (default INFO); ConfigError naming the variable otherwise."""
    level: int = logging.getLevelName(load(LogSettings, environ).level)
    return level


def library_level(level: int) -> int:
    """``level``, but never below the floor: for the loggers in QUIET_LOGGERS."""
    return max(level, LIBRARY_FLOOR)


def quiet_libraries(level: int) -> None:
    """Hold every logger in QUIET_LOGGERS at ``library_level(level)``. Idempotent; survives
    Faust's ``dictConfig`` (it keeps existing loggers' levels)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(library_level(level))
    for name in ADDRESS_LOGGERS:
        logging.getLogger(name).setLevel(server_level(level))


def server_level(level: int) -> int:
    """The level for uvicorn's loggers: never below ADDRESS_FLOOR."""
    return max(level, ADDRESS_FLOOR)


def configure_logging(environ: Mapping[str, str] | None = None) -> int:
    """Root handler and level from ``CHATGUARD_LOG_LEVEL``, libraries floored; returns the level."""
    level = log_level(environ)
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)
    quiet_libraries(level)
    return level
