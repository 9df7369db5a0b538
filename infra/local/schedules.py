"""Local EventBridge schedules: fire each function's `rate(...)` Schedule events every LOCAL_SCHEDULE_SECONDS.

Calendar schedules (`cron(...)`: the monthly training of the intake topic model) are not fired by the
timer: locally the packaged model serves, and a test or `minyi model train` runs the training when asked."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from infra.local.lambdas import LocalLambdas
from infra.local.template import ACCOUNT, Template


def scheduled_event(region: str, rule: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


class LocalScheduler:
    def __init__(self, template: Template, lambdas: LocalLambdas, period_seconds: float):
        self.template = template
        self.lambdas = lambdas
        self.period = period_seconds
        self.targets = [
            (name, event_name)
            for name, spec in template.functions().items()
            for event_name, event in spec.events.items()
            if event["Type"] in {"Schedule", "ScheduleV2"}
            and not str(event.get("Properties", {}).get("Schedule", "")).startswith("cron(")
        ]
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.targets and self.period > 0:
            self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def fire(self) -> list[Any]:
        results = []
        for name, event_name in self.targets:
            try:
                results.append(self.lambdas.invoke(name, scheduled_event(self.template.region, event_name)))
            except Exception as exc:  # a failed run is retried at the next tick, as EventBridge would
                print(f"[schedule] {name} failed: {type(exc).__name__}: {exc}", flush=True)
                results.append({"error": str(exc)})
        self.runs += 1
        return results

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.fire()
