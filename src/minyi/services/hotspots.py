"""Hotspots (未诉先办): reports counted per cell, topic and day from the stream; the listing of the cells
that reached their threshold; one SMS to the supervision office's duty phone per cell, topic and day.

Counting runs in the projections consumer, beside the scoreboard: each `SUBMITTED` event with a topic
and a location adds one report to its cell's day, once (`HotspotRepository.count_report`). After each
report (and again on a redelivery, which repairs a crash between the steps) the cell's day is weighed
against its threshold (`minyi.domain.hotspots`); the first report that makes it reach it claims the
cell's alert with a conditional write, so one event, whatever the concurrency, owns the SMS; that SMS
goes through the outbox of the owner's case (claim, send, SENT), so it is sent exactly once and shows in
the case's notifications. A failed send raises: the stream record is retried and finds its claims.

The listing (`GET /v1/hotspots`, dispatchers and supervisors) reads the period's cells (one query per
day, at most `MAX_PERIOD_DAYS`) and, for the cells with at least the catalogue's minimum, each one's
baseline (one query per cell, at most `MAX_CANDIDATES`): never a scan, never a case.
"""

from __future__ import annotations

from datetime import date, timedelta

from minyi import policy
from minyi.domain import hotspots
from minyi.domain.deadlines import CITY_TZ
from minyi.domain.errors import InvalidInput
from minyi.domain.hotspots import CellDay, Hotspot
from minyi.domain.metrics import Metric
from minyi.domain.models import SUPERVISION_OFFICE_ID, Actor, OutboxStatus, TimelineEvent
from minyi.domain.notices import Notice, RecipientKind, TemplateMessage, registered_key, sms_segments
from minyi.domain.phone import mask_phone
from minyi.domain.scoreboard import stats_day
from minyi.observability import logger, metrics
from minyi.ports import Clock, HotspotRepository, OutboxRepository, SmsError, SmsSender, TemplateSmsSender
from minyi.services.catalog import CatalogCache
from minyi.text import render_fields

#: Without a period: the last seven days.
DEFAULT_DAYS = 7
#: The outbox's recipient kind of the hotspot SMS (one per case event; the owner's SUBMITTED event).
SMS_KIND: RecipientKind = "hotspot"


class HotspotAlertFailed(Exception):
    """The supervision office's hotspot SMS could not be sent (the stream record will be retried)."""


class HotspotService:
    def __init__(
        self,
        counters: HotspotRepository,
        catalog: CatalogCache,
        clock: Clock,
        outbox: OutboxRepository | None = None,
        sender: SmsSender | None = None,
    ):
        self.counters = counters
        self.catalog = catalog
        self.clock = clock
        self.outbox = outbox
        self.sender = sender

    # --- counting (the projections consumer) ------------------------------------------------------

    def count(self, event: TimelineEvent) -> bool:
        """Count the event's report once, then alert the supervision office if its cell's day just
        reached its threshold. False for events that add no report, or were counted before."""
        report = hotspots.report_of(event, stats_day(event))
        if report is None:
            return False
        counted = self.counters.count_report(event, report, self.clock())
        if not counted:
            logger.info("report already counted", extra={"case_id": event.case_id, "seq": event.seq})
        self._alert_if_hot(event, report)
        return counted

    def _alert_if_hot(self, event: TimelineEvent, report: hotspots.Report) -> None:
        catalog = self.catalog.get()
        row = self.counters.cell_day(report.day, report.topic, report.cell)
        if row is None or row.count < catalog.hotspot_min_reports:
            return
        if row.alert_owner is not None and row.alert_owner != (event.case_id, event.seq):
            return  # the cell's day has its alert already: nothing to weigh (a retry of the owner goes on)
        hot = self._weigh([row], catalog.hotspot_min_reports)
        if not hot:
            return
        if not self.counters.claim_alert(report.day, report.topic, report.cell, event.case_id, event.seq):
            return  # another report of the cell's day owns its alert
        office = catalog.units.get(SUPERVISION_OFFICE_ID)
        if office is None or not office.duty_phone:
            logger.warning("hotspot without a supervision duty phone", extra={"cell": report.cell})
            return
        topic = catalog.topics.get(report.topic, {}).get("zh", report.topic)
        district = catalog.districts.get(report.district, {}).get("zh") if report.district else None
        body, shown = render_fields(hotspots.alert_message(hot[0], topic, district), "zh")
        notice = Notice(
            case_id=event.case_id,
            event_seq=event.seq,
            event_type=event.type,
            kind=SMS_KIND,
            to=office.duty_phone,
            body=body,
            segments=sms_segments(body),
            template=TemplateMessage(key=registered_key(hotspots.SMS_KEY, "zh"), params=shown),
        )
        self._send(notice)

    def _send(self, notice: Notice) -> None:
        """Exactly once through the case's outbox (as `NotifyService` sends)."""
        if self.outbox is None or self.sender is None:
            logger.warning("hotspot SMS not sent: no SMS sender here", extra={"case_id": notice.case_id})
            return
        if self.outbox.claim(notice, self.clock()) == OutboxStatus.SENT:
            metrics.add_metric(name=Metric.SMS_DUPLICATES_SUPPRESSED, unit="Count", value=1)
            return
        try:
            if notice.template is not None and isinstance(self.sender, TemplateSmsSender):
                message_id = self.sender.send_template(notice.to, notice.template)
            else:
                message_id = self.sender.send(notice.to, notice.body)
        except SmsError as exc:
            self.outbox.finish(notice, OutboxStatus.FAILED, self.clock(), None, str(exc))
            metrics.add_metric(name=Metric.SMS_FAILURES, unit="Count", value=1)
            raise HotspotAlertFailed(str(exc)) from exc
        self.outbox.finish(notice, OutboxStatus.SENT, self.clock(), message_id, None)
        metrics.add_metric(name=Metric.SMS_SENT, unit="Count", value=1)
        logger.info("hotspot sms sent", extra={"case_id": notice.case_id, "to": mask_phone(notice.to)})

    # --- the listing ------------------------------------------------------------------------------

    def period(self, day_from: date | None, day_to: date | None) -> tuple[date, date]:
        """The period asked for (Shenzhen dates), or the last `DEFAULT_DAYS`; at most `MAX_PERIOD_DAYS`."""
        today = self.clock().astimezone(CITY_TZ).date()
        day_to = day_to or (today if day_from is None else day_from + timedelta(days=DEFAULT_DAYS - 1))
        day_from = day_from or day_to - timedelta(days=DEFAULT_DAYS - 1)
        if day_to < day_from:
            raise InvalidInput("to", "error.to_before_from")
        if (day_to - day_from).days >= hotspots.MAX_PERIOD_DAYS:
            raise InvalidInput("to", "error.days_per_query", days=hotspots.MAX_PERIOD_DAYS)
        return day_from, day_to

    def hotspots_for(
        self,
        actor: Actor,
        day_from: date | None,
        day_to: date | None,
        topic: str | None = None,
        district: str | None = None,
    ) -> hotspots.Listing:
        """The cells of the period that reached their thresholds, most reports first."""
        policy.require(actor, policy.Action.HOTSPOTS)
        first, last = self.period(day_from, day_to)
        catalog = self.catalog.get()
        if topic is not None and topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        if district is not None and district not in catalog.districts:
            raise InvalidInput("district", "error.unknown_district")
        rows, _ = self.counters.cells(first, last, topic)
        candidates = [
            row
            for row in rows
            if row.count >= catalog.hotspot_min_reports and (district is None or row.district == district)
        ]
        return hotspots.Listing(
            day_from=first,
            day_to=last,
            topic=topic,
            district=district,
            min_reports=catalog.hotspot_min_reports,
            hotspots=self._weigh(candidates, catalog.hotspot_min_reports),
        )

    def _weigh(self, rows: list[CellDay], min_reports: int) -> list[Hotspot]:
        """The rows that reach their thresholds, each against its own baseline: one query per cell
        (covering every listed day's 28 days), for at most `MAX_CANDIDATES` cells, busiest first."""
        rows = sorted(rows, key=lambda r: (-r.count, r.day, r.topic, r.cell))
        by_cell: dict[tuple[str, str], list[CellDay]] = {}
        for row in rows:
            if (row.topic, row.cell) in by_cell or len(by_cell) < hotspots.MAX_CANDIDATES:
                by_cell.setdefault((row.topic, row.cell), []).append(row)
        found: list[Hotspot] = []
        for (topic, cell), days in by_cell.items():
            earliest, _ = hotspots.baseline_days(min(r.day for r in days))
            latest = max(r.day for r in days) - timedelta(days=1)
            series = self.counters.cell_counts(topic, cell, earliest, latest)
            for row in days:
                start, end = hotspots.baseline_days(row.day)
                before = [n for day, n in series.items() if start <= day <= end]
                hot = hotspots.hotspot(row, hotspots.baseline(before), min_reports)
                if hot is not None:
                    found.append(hot)
        found.sort(key=lambda h: (-h.count, h.day, h.topic, h.cell))
        return found
