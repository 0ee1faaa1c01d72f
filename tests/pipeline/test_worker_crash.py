"""A worker that stops on an error logs the error's class, never its message or traceback:
both may quote an event (the detection process's traceback comes back as the cause's text)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from concurrent.futures.process import _RemoteTraceback
from types import SimpleNamespace

import faust

import pipeline.worker
from pipeline.errors import WorkerStopped
from pipeline.metrics import PipelineMetrics
from pipeline.worker import RedactionWorker


def _failing_detection(text: str) -> None:
    raise ValueError(f"cannot detect in {text!r}")


def test_a_crash_logs_the_exception_class_only(monkeypatch, caplog):
    canary = f"canary-{secrets.token_hex(8)}@example.org"
    monkeypatch.setattr(pipeline.worker, "_exit_if_still_running_after", lambda seconds: None)
    app = faust.App(f"chatguard-test-crash-{secrets.token_hex(4)}", broker="kafka://127.0.0.1:9", web_enabled=False)
    from prometheus_client import CollectorRegistry

    worker = SimpleNamespace(app=app, metrics=PipelineMetrics(CollectorRegistry()))

    async def stop_in_except_block() -> None:
        try:
            try:
                _failing_detection(canary)
            except ValueError as inner:
                # As a ProcessPoolExecutor hands back a child's exception: the child's formatted
                # traceback (quoting the event) as the cause.
                inner.__cause__ = _RemoteTraceback(f'Traceback:\n  text = "{canary}"\nValueError: {canary}')
                raise
        except ValueError as exc:
            await RedactionWorker._stop_on(worker, "detect", exc, wait=False)

    with caplog.at_level(logging.DEBUG):
        asyncio.run(stop_in_except_block())

    assert app.crashed and isinstance(app.crash_reason, WorkerStopped)
    assert app.crash_reason.error_class == "ValueError"
    logged = caplog.text + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "Crashed reason" in logged and "ValueError" in logged
    assert canary not in logged, "the crash log quotes the event"
    assert "_failing_detection" not in logged, "the crash log carries the original traceback"
