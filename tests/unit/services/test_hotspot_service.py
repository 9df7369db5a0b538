"""HotspotService on fakes (未诉先办): each SUBMITTED report counted once in its cell, topic and
Shenzhen day; the supervision office texted once when a cell's day reaches its threshold (and never for
a busy cell's ordinary day); the listing over a period of at most 31 days, for dispatchers and
supervisors, with each cell's baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from minyi.domain import hotspots
from minyi.domain.errors import Forbidden, InvalidInput
from minyi.domain.hotspots import CellDay
from minyi.domain.models import Location
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, DISPATCHER, STAFF, SUPERVISOR, new_request

#: The fakes' clock starts at 09:00 on Monday 2 March in Shenzhen.
DAY = date(2026, 3, 2)
CAITIAN = Location(lat=22.5403, lon=114.0580)
ELSEWHERE = Location(lat=22.5600, lon=114.1000)
DUTY_PHONE = "+8613900000000"  # the supervision office's, in the Shenzhen catalogue


def report(fakes: Fakes, location: Location = CAITIAN, **overrides: object) -> str:
    """A citizen files a case there; the projections consumer sees its events. Returns its tracking no."""
    case = fakes.request_service().submit(CITIZEN, new_request(location=location, **overrides))
    service = fakes.hotspot_service()
    for event in fakes.cases.timeline(case.id):
        service.count(event)
    return case.tracking_no


def cell() -> str:
    return hotspots.cell_of(CAITIAN.lat, CAITIAN.lon)


def test_each_report_is_counted_once_in_its_cell_topic_and_day(fakes: Fakes) -> None:
    # Given two reports at the same crossing
    first, second = report(fakes), report(fakes)
    # When every event is delivered again
    service = fakes.hotspot_service()
    for case_id in list(fakes.cases.cases):
        assert all(service.count(e) is False for e in fakes.cases.timeline(case_id))
    # Then the cell's day holds two reports and both tracking numbers
    row = fakes.hotspot_counters.cell_day(DAY, "traffic", cell())
    assert row is not None
    assert (row.count, row.district, row.cases) == (2, "futian", (first, second))


def test_the_fifth_report_in_a_quiet_cell_texts_the_supervision_office_once(fakes: Fakes) -> None:
    # Given four reports at a quiet crossing: no SMS to the supervision office yet
    numbers = [report(fakes) for _ in range(4)]
    assert fakes.sender.to(DUTY_PHONE) == []
    # When the fifth and a sixth arrive, and everything is delivered again
    numbers += [report(fakes), report(fakes)]
    service = fakes.hotspot_service()
    for case_id in list(fakes.cases.cases):
        for event in fakes.cases.timeline(case_id):
            service.count(event)
    # Then the duty phone got exactly one SMS, naming the district, the topic, the count and the first case
    texts = fakes.sender.to(DUTY_PHONE)
    assert len(texts) == 1
    assert "福田区" in texts[0] and "交通" in texts[0] and "5件" in texts[0] and numbers[0] in texts[0]
    # and it is in the outbox of the fifth report's case (what staff see in its notifications)
    fifth = next(c for c in fakes.cases.cases.values() if c.tracking_no == numbers[4])
    assert [e.kind for e in fakes.outbox.entries(fifth.id) if e.kind == "hotspot"] == ["hotspot"]


def test_once_the_alert_is_owned_later_reports_of_the_cell_weigh_nothing(fakes: Fakes) -> None:
    # Given a crossing whose fifth report texted the supervision office
    for _ in range(5):
        report(fakes)
    assert len(fakes.sender.to(DUTY_PHONE)) == 1
    # When more reports of the same cell and day arrive
    fakes.hotspot_counters.reads = 0
    report(fakes)
    report(fakes)
    # Then they are counted without reading the cell's 28 days again, and no second SMS goes out
    assert fakes.hotspot_counters.cell_day(DAY, "traffic", cell()).count == 7  # type: ignore[union-attr]
    assert fakes.hotspot_counters.reads == 0
    assert len(fakes.sender.to(DUTY_PHONE)) == 1


def test_a_failed_alert_is_retried_and_still_sent_once(fakes: Fakes) -> None:
    for _ in range(4):
        report(fakes)
    # Given the provider refuses the next message
    fakes.sender.fail_next = 1
    case = fakes.request_service().submit(CITIZEN, new_request(location=CAITIAN))
    service = fakes.hotspot_service()
    event = fakes.cases.timeline(case.id)[0]
    # When the fifth report is counted: the alert fails and the record will be retried
    with pytest.raises(Exception, match="injected"):
        service.count(event)
    # Then the retry sends it, once
    service.count(event)
    service.count(event)
    assert len(fakes.sender.to(DUTY_PHONE)) == 1
    assert fakes.hotspot_counters.cell_day(DAY, "traffic", cell()).count == 5  # type: ignore[union-attr]


def test_a_busy_cell_needs_an_unusual_day_not_the_minimum(fakes: Fakes) -> None:
    # Given a crossing with three reports a day over the last four weeks
    for back in range(1, 29):
        fakes.hotspot_counters.add(CellDay(DAY - timedelta(days=back), "traffic", cell(), "futian", 3))
    # When six are reported today (above the minimum of 5, but ordinary for it)
    for _ in range(6):
        report(fakes)
    # Then nobody is texted and the listing does not show it
    assert fakes.sender.to(DUTY_PHONE) == []
    assert fakes.hotspot_service().hotspots_for(SUPERVISOR, DAY, DAY).hotspots == []
    # while eleven (the 99.9 % bound of a mean of 3) do make it one, and ten do not
    assert hotspots.poisson_upper_bound(3.0) == 11
    for _ in range(4):
        report(fakes)
    assert fakes.sender.to(DUTY_PHONE) == []
    report(fakes)
    listing = fakes.hotspot_service().hotspots_for(SUPERVISOR, DAY, DAY)
    assert [(h.cell, h.count, h.baseline, h.threshold) for h in listing.hotspots] == [(cell(), 11, 3.0, 11)]
    assert len(fakes.sender.to(DUTY_PHONE)) == 1


def test_the_listing_names_cells_with_centre_district_count_baseline_and_cases(fakes: Fakes) -> None:
    # Given five reports at one crossing and two elsewhere
    numbers = [report(fakes) for _ in range(5)]
    report(fakes, ELSEWHERE)
    report(fakes, ELSEWHERE)
    # When a dispatcher lists today's hotspots
    listing = fakes.hotspot_service().hotspots_for(DISPATCHER, None, None)
    # Then only the crossing's cell is listed, with its centre inside its bounds and its cases
    assert (listing.day_from, listing.day_to, listing.min_reports) == (DAY - timedelta(days=6), DAY, 5)
    [hot] = listing.hotspots
    assert (hot.day, hot.topic, hot.district, hot.count, hot.baseline, hot.cases) == (
        DAY,
        "traffic",
        "futian",
        5,
        0.0,
        numbers,
    )
    assert hot.south <= hot.lat <= hot.north and hot.west <= hot.lon <= hot.east
    # and the filters narrow it
    service = fakes.hotspot_service()
    assert service.hotspots_for(DISPATCHER, DAY, DAY, topic="environment").hotspots == []
    assert service.hotspots_for(DISPATCHER, DAY, DAY, district="luohu").hotspots == []
    assert len(service.hotspots_for(DISPATCHER, DAY, DAY, topic="traffic", district="futian").hotspots) == 1


def test_the_listing_reads_a_bounded_number_of_times(fakes: Fakes) -> None:
    # Given 300 cells at the minimum over a month
    for n in range(300):
        name = hotspots.cell_of(22.50 + n * 0.002, 114.05)
        fakes.hotspot_counters.add(CellDay(DAY, "traffic", name, "futian", 5))
    fakes.hotspot_counters.reads = 0
    # When a supervisor lists the month
    listing = fakes.hotspot_service().hotspots_for(SUPERVISOR, DAY - timedelta(days=30), DAY)
    # Then it read one partition per day and at most MAX_CANDIDATES cells' series
    assert fakes.hotspot_counters.reads == 31 + hotspots.MAX_CANDIDATES
    assert len(listing.hotspots) == hotspots.MAX_CANDIDATES


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((DAY, DAY - timedelta(days=1)), "to"),
        ((DAY - timedelta(days=31), DAY), "to"),
        ((DAY, DAY, "no-such-topic"), "topic"),
        ((DAY, DAY, None, "atlantis"), "district"),
    ],
)
def test_a_bad_period_or_filter_is_a_4xx_naming_the_field(fakes: Fakes, args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        fakes.hotspot_service().hotspots_for(SUPERVISOR, *args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_only_dispatchers_and_supervisors_list_hotspots(fakes: Fakes) -> None:
    for actor in (CITIZEN, STAFF):
        with pytest.raises(Forbidden):
            fakes.hotspot_service().hotspots_for(actor, DAY, DAY)
