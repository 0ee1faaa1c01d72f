"""``chatguard canary``: one probe, or one every ``--interval`` seconds, with metrics."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from connectors.canary.probe import ProbeConfig, run_probe
from connectors.canary.result import CanaryMetrics
from connectors.canary.values import CanaryValues, build_request
from connectors.settings import IngestSettings
from runtime.settings import load, metrics_addr_setting


@dataclass(frozen=True, slots=True)
class CanarySettings:
    metrics_addr: str = metrics_addr_setting()


def run(args: Any) -> int:
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        ingest = IngestSettings.from_env()
        config = ProbeConfig(
            url=args.url,
            ingest=ingest,
            kafka=ingest.kafka,
            channel=args.channel,
            timeout_s=args.timeout,
            settle_s=args.settle,
            domain=args.domain,
        )
        build_request(config.channel, ingest, CanaryValues.generate(config.domain))  # the channel's secret is set
    except ValueError as exc:
        print(f"chatguard canary: {exc}", file=sys.stderr)
        return 2
    metrics = CanaryMetrics()
    if args.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr=load(CanarySettings).metrics_addr)

    def armed(values: CanaryValues, event_id: str) -> None:
        if args.value_file:
            record = {"event_id": event_id, "channel": config.channel, **asdict(values), "text": values.text}
            tmp = f"{args.value_file}.tmp"
            with open(tmp, "wb") as f:
                f.write(orjson.dumps(record))
            import os

            os.replace(tmp, args.value_file)  # readers never see half a file

    async def forever() -> int:
        while True:
            began = time.monotonic()
            result = await run_probe(config, on_armed=armed, metrics=metrics)
            print(result.summary(), file=sys.stderr if result.outcome != "ok" else sys.stdout, flush=True)
            if args.interval is None:
                return result.exit_status
            await asyncio.sleep(max(0.0, args.interval - (time.monotonic() - began)))

    return asyncio.run(forever())
