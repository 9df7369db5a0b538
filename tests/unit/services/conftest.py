"""Service tests on in-memory fakes (tests/fakes.py): the real services, every port faked, no AWS.
Each test takes a fresh `Fakes`, acts through a service and checks the fakes' state afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from minyi.domain.models import Actor, Role
from minyi.observability import metrics
from minyi.services.results import NewRequest
from tests.fakes import Fakes

TRAFFIC = "futian-traffic-police"
OTHER_UNIT = "luohu-traffic-police"
PHONE = "+8613812345678"
CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1", phone=PHONE)
OTHER_PHONE = "+8613900001111"
OTHER_CITIZEN = Actor(role=Role.CITIZEN, id="citizen-2", phone=OTHER_PHONE)
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id=TRAFFIC)
OTHER_STAFF = Actor(role=Role.STAFF, id="staff-2", unit_id=OTHER_UNIT)
DISPATCHER = Actor(role=Role.DISPATCHER, id="dispatcher-1")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id="supervisor-1")
ADMIN = Actor(role=Role.ADMIN, id="admin-1")
#: A PNG's signature and a little more: what the content check reads.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))


def new_request(**overrides: Any) -> NewRequest:
    fields: dict[str, Any] = {
        "category": "complaint",
        "topic": "traffic",
        "district": "futian",
        "description": "Illegal parking blocks the bus lane on Shennan Road",
        "phone": PHONE,
    }
    return NewRequest.model_validate(fields | overrides)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


class Recorded:
    """The business metrics a service added (Powertools keeps them until flushed)."""

    def __call__(self, name: str) -> float:
        entry: dict[str, Any] = metrics.metric_set.get(str(name), {})
        return float(sum(entry.get("Value", [])))


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    metrics.clear_metrics()
    yield Recorded()
    metrics.clear_metrics()
