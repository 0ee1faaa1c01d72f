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


def test_bad_settings_in_the_detection_process_stop_the_worker_in_one_line():
    """The model loads in the detection process; its ConfigError must still reach the user as
    one line and exit status 2, before the worker joins its consumer group."""
    import os
    import secrets
    import subprocess

    from tests.support.paths import BIN
    from tests.support.vaults import vault_env

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    env.update(
        CHATGUARD_PSEUDONYM_KEY=secrets.token_hex(16),
        CHATGUARD_SPACY_MODEL="en_not_a_model",
        CHATGUARD_KAFKA_BOOTSTRAP="127.0.0.1:9",
        **vault_env(),
    )
    done = subprocess.run([str(BIN / "chatguard"), "worker"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "CHATGUARD_SPACY_MODEL: spaCy model 'en_not_a_model' is not installed" in done.stderr
    assert "Traceback" not in done.stderr
