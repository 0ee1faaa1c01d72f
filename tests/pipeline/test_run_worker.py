"""How ``chatguard worker`` sets up Faust's Worker."""

from __future__ import annotations

import logging

import faust
import pytest

from pipeline.run_worker import faust_worker


@pytest.mark.parametrize("level", ["WARNING", "ERROR"])
def test_the_root_logger_stays_at_the_configured_level(level):
    # Faust's terminal spinner would set the root logger to DEBUG: every debug call in aiokafka
    # (whose records carry message values) and Presidio would then build a log record.
    app = faust.App("chatguard-test-logging", broker="kafka://127.0.0.1:9", web_enabled=False)
    worker = faust_worker(app, level)
    root = logging.Logger("root-under-test")
    root.addHandler(logging.StreamHandler())
    root.setLevel(getattr(logging, level))
    worker.on_setup_root_logger(root, getattr(logging, level))
    assert root.level == getattr(logging, level)
    assert not root.isEnabledFor(logging.DEBUG)
    assert len(root.handlers) == 1
