"""runtime/logs.py: CHATGUARD_LOG_LEVEL never lowers the libraries that log message text."""

from __future__ import annotations

import logging

import pytest

from runtime.logs import ADDRESS_LOGGERS, QUIET_LOGGERS, configure_logging, library_level, log_level, quiet_libraries
from schemas.errors import ConfigError


@pytest.fixture
def restore_levels():
    names = ("", *QUIET_LOGGERS, *ADDRESS_LOGGERS, "aiokafka.producer.sender")
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_debug_leaves_aiokafka_kafka_faust_and_mode_at_info(restore_levels):
    assert configure_logging({"CHATGUARD_LOG_LEVEL": "DEBUG"}) == logging.DEBUG
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    assert logging.getLogger("chatguard.ingest").isEnabledFor(logging.DEBUG)
    for name in (
        "aiokafka",
        "aiokafka.producer.sender",
        "kafka",
        "faust.app.base",
        "mode.services",
        "websockets.server",
    ):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger(name).isEnabledFor(logging.INFO), name
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # they log client addresses at INFO
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name


def test_a_higher_level_applies_to_the_libraries_too(restore_levels):
    quiet_libraries(logging.ERROR)
    assert not logging.getLogger("aiokafka").isEnabledFor(logging.WARNING)
    assert library_level(logging.DEBUG) == logging.INFO and library_level(logging.ERROR) == logging.ERROR


def test_log_level_names_the_variable_when_wrong():
    assert log_level({}) == logging.INFO
    assert log_level({"CHATGUARD_LOG_LEVEL": "warning"}) == logging.WARNING
    with pytest.raises(ConfigError, match="^CHATGUARD_LOG_LEVEL: "):
        log_level({"CHATGUARD_LOG_LEVEL": "LOUD"})
