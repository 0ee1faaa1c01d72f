"""``chatguard worker``: load the engine, serve metrics, ensure topics, run Faust."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

from prometheus_client import start_http_server

from pipeline.errors import EX_SOFTWARE, ConfigError, WorkerStopped
from pipeline.metrics import PipelineMetrics
from pipeline.settings import Settings
from pipeline.worker import RedactionWorker
from runtime.logs import configure_logging, log_level, quiet_libraries
from runtime.topics_admin import TopicAdminError, apply_topics
from schemas.topics import all_topics

if TYPE_CHECKING:
    import faust

log = logging.getLogger("chatguard.worker")


def faust_worker(app: faust.App, loglevel: str) -> faust.Worker:
    """Faust's Worker without its terminal spinner: for the spinner it sets the root logger to
    DEBUG, so every debug call in aiokafka and Presidio built a log record (aiokafka's carry
    whole message values) that only the spinner's handler then dropped. aiokafka, Faust and mode
    stay at INFO or above whatever the level (runtime/logs.py)."""
    from faust import Worker

    worker = Worker(app, loglevel=loglevel.lower())
    worker.spinner = None
    set_up_root = worker.on_setup_root_logger

    def on_setup_root_logger(logger: logging.Logger, level: int) -> None:
        set_up_root(logger, level)
        quiet_libraries(level)  # Faust has just reconfigured logging: the floor again

    worker.on_setup_root_logger = on_setup_root_logger  # type: ignore[method-assign]  # faust's only hook after its logging setup is this Worker method
    return worker


def run_worker() -> int:
    settings = Settings.from_env()
    configure_logging()  # aiokafka, Faust and mode stay at INFO or above whatever the level
    # Load the model (in the detection process) before joining the consumer group: a slow start
    # must not stall a rebalance, and bad settings stop the worker here.
    metrics = PipelineMetrics()
    worker = RedactionWorker(settings, metrics, os.environ)
    try:
        worker.detection.start()
    except BaseException:
        worker.detection.stop()
        raise
    try:
        return _serve(settings, worker)
    finally:
        worker.detection.stop()


def _serve(settings: Settings, worker: RedactionWorker) -> int:
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
        log.info("metrics on :%d/metrics", settings.metrics_port)
    try:
        asyncio.run(apply_topics(settings.kafka, all_topics(settings.raw_retention_ms)))
    except TopicAdminError as exc:
        raise ConfigError(
            f"worker: {exc} (the worker's ACLs: README, Security; or run 'chatguard topics apply' as an admin)"
        ) from None
    worker.start_policy()  # chat.policy's version in force, if it holds one, before the first batch
    if settings.metrics_port:  # the group's lag on chat.raw, sampled every 10 s (pipeline/lag.py)
        from pipeline.lag import start_lag_monitor

        start_lag_monitor(settings.kafka, settings.consumer_group)
    # Faust's Worker owns the event loop and the signal handlers from here on; uvloop makes
    # the per-message produce and acknowledgement bookkeeping cheaper.
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.set_event_loop(asyncio.new_event_loop())

    try:
        faust_worker(worker.app, logging.getLevelName(log_level())).execute_from_commandline()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    else:
        code = 0
    if worker.app.crashed:
        reason = worker.app.crash_reason
        # Our own reasons say what failed (never an event's text); anything else by its class only.
        print(
            f"chatguard worker: stopped on {reason if isinstance(reason, WorkerStopped) else type(reason).__name__}",
            file=sys.stderr,
        )
        return EX_SOFTWARE
    return code
