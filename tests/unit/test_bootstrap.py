"""One wiring with overrides: every `minyi.bootstrap` factory builds its service from the settings, with
each part a caller gives (a fake) in place of the adapter, and builds no adapter it was given. The
service tests' `Fakes` and the Open311 tests build through these same factories; here the wiring itself
is held to it: the parts given are the parts used, and a service on fakes asks for no AWS client."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from minyi import bootstrap
from minyi.adapters.aws import client
from minyi.api import schemas, views
from minyi.api.idempotency import IdempotentSubmit
from minyi.config import (
    AccountsSettings,
    AccountsTriggerSettings,
    AdminSettings,
    CatalogAdminSettings,
    Open311Settings,
    ProjectionsSettings,
    SmsSenderSettings,
)
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Actor, Role
from minyi.services.results import NewRequest
from tests.fakes import (
    FakeAccountStatuses,
    FakeCodeDecrypter,
    FakeIdempotencyStore,
    Fakes,
    fake_settings,
)

CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1", phone="+8613812345678")


@pytest.fixture
def client_calls() -> Iterator[Callable[[], int]]:
    """How often the adapters' one client factory was asked for a client since the test began."""
    before = client.cache_info()

    def calls() -> int:
        now = client.cache_info()
        return (now.hits + now.misses) - (before.hits + before.misses)

    yield calls


def _every_service(fakes: Fakes) -> dict[str, Any]:
    """Each factory of the wiring, every part it wires given as a fake."""
    keys = fakes.directory  # any object: the Open311 keys and feed are not called while building
    return {
        "request": fakes.request_service(),
        "case": fakes.case_service(),
        "hotline": fakes.hotline_service(),
        "link_rating": fakes.link_rating(),
        "workflow_tasks": fakes.workflow_tasks(),
        "notify": fakes.notify_service(),
        "sweep": fakes.sweep_service(),
        "scoreboard": fakes.scoreboard_service(),
        "open311": bootstrap.open311_service(
            fake_settings(Open311Settings),
            requests=fakes.request_service(),
            cases=fakes.cases,
            catalog=fakes.catalog,
            feed=keys,  # type: ignore[arg-type]
            keys=keys,  # type: ignore[arg-type]
            clock=fakes.clock,
        ),
        "open311_feed": bootstrap.open311_feed_service(
            fake_settings(ProjectionsSettings),
            cases=fakes.cases,
            catalog=fakes.catalog,
            feed=keys,  # type: ignore[arg-type]
        ),
        "api_keys": bootstrap.api_key_service(fake_settings(AdminSettings), keys=keys, clock=fakes.clock),  # type: ignore[arg-type]
        "accounts": bootstrap.account_service(
            fake_settings(AccountsSettings),
            directory=fakes.directory,
            catalog=fakes.catalog,
            statuses=FakeAccountStatuses(),
            clock=fakes.clock,
        ),
        "account_gate": bootstrap.account_gate(statuses=FakeAccountStatuses(), clock=fakes.clock),
        "account_trigger": bootstrap.account_trigger_service(
            fake_settings(AccountsTriggerSettings), "ap-east-1_pool", directory=fakes.directory
        ),
        "account_codes": bootstrap.account_code_service(
            fake_settings(SmsSenderSettings), decrypter=FakeCodeDecrypter(), sender=fakes.sender
        ),
        "catalog_admin": bootstrap.catalog_admin_service(
            fake_settings(CatalogAdminSettings), repo=fakes.catalog_repo, clock=fakes.clock
        ),
    }


def test_a_service_built_on_fakes_asks_for_no_aws_client(client_calls: Callable[[], int]) -> None:
    # Given every port as a fake (and no AWS environment a real adapter would read)
    fakes = Fakes()
    # When the wiring builds every service with the fakes as overrides
    services = _every_service(fakes)
    # Then each was built, and not one AWS client was asked for
    assert all(service is not None for service in services.values())
    assert client_calls() == 0


def test_the_parts_given_are_the_parts_the_services_use() -> None:
    # Given the fakes / When the wiring builds the services on them
    fakes = Fakes()
    services = _every_service(fakes)
    # Then each service holds the very fakes it was given, not an adapter of its own
    request = services["request"]
    assert (request.cases, request.uploads, request.catalog) == (fakes.cases, fakes.uploads, fakes.catalog)
    assert (request.store, request.workflow, request.lockouts, request.clock) == (
        fakes.store,
        fakes.workflow,
        fakes.lockouts,
        fakes.clock,
    )
    case = services["case"]
    assert (case.store.cases, case.store.catalog, case.store.workflow, case.store.clock) == (
        fakes.cases,
        fakes.catalog,
        fakes.workflow,
        fakes.clock,
    )
    assert (case.outbox, case.attachments, case.uploads, case.directory) == (
        fakes.outbox,
        fakes.store,
        fakes.uploads,
        fakes.directory,
    )
    assert services["notify"].sender is fakes.sender and services["notify"].links is fakes.links
    assert services["sweep"].leases is fakes.leases and services["sweep"].workflow is fakes.workflow
    assert services["workflow_tasks"].workflow is fakes.workflow
    assert services["workflow_tasks"].store.workflow is fakes.workflow
    assert services["scoreboard"].counters is fakes.counters
    assert services["link_rating"].lockouts is fakes.lockouts and services["link_rating"].links is fakes.links
    assert services["account_codes"].sender is fakes.sender
    assert services["catalog_admin"].repo is fakes.catalog_repo
    assert services["open311_feed"].cases is fakes.cases


def test_every_override_is_a_keyword_that_defaults_to_the_real_adapter() -> None:
    # Given the wiring's factories (each takes its settings, or what stands for them, first)
    factories = {
        name: f
        for name, f in vars(bootstrap).items()
        if inspect.isfunction(f) and f.__module__ == bootstrap.__name__ and not name.startswith("_")
    }
    # Then every part it wires is a keyword-only argument, None unless a caller gives it
    for name, factory in factories.items():
        for parameter in inspect.signature(factory).parameters.values():
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                assert parameter.default is None, f"{name}({parameter.name}=...)"
    overridable = {
        name
        for name, f in factories.items()
        if any(p.kind is inspect.Parameter.KEYWORD_ONLY for p in inspect.signature(f).parameters.values())
    }
    # And each factory of a service has overrides (only these build no port of their own, or read facts)
    assert set(factories) - overridable == {"utcnow", "rating_links", "idempotency_store", "deploy_facts"}


def test_a_repeated_idempotency_key_answers_the_first_case_and_files_it_once() -> None:
    # Given the idempotent submission on an in-memory store, filing through the request service on fakes
    fakes = Fakes()

    def submit(citizen: Actor, body: schemas.SubmitRequestBody) -> schemas.CaseCreated:
        request = NewRequest.model_validate({**body.model_dump(), "phone": body.phone or "", "language": "zh"})
        return views.created(fakes.request_service().submit(citizen, request))

    idempotent = IdempotentSubmit(FakeIdempotencyStore(), submit)
    body = schemas.SubmitRequestBody(
        category="complaint", topic="traffic", district="futian", description="Illegal parking on Shennan Road"
    )
    # When the same key comes twice with the same body
    first = idempotent(CITIZEN, body, "key-1")
    again = idempotent(CITIZEN, body, "key-1")
    # Then the second answer is the first case, and one case was filed
    assert again == first
    assert list(fakes.cases.cases) == [first.id]
    # And the same key with another body is refused, naming the header, with nothing filed
    other = body.model_copy(update={"description": "Something else entirely"})
    with pytest.raises(InvalidInput) as refused:
        idempotent(CITIZEN, other, "key-1")
    assert refused.value.field == "Idempotency-Key"
    assert list(fakes.cases.cases) == [first.id]
