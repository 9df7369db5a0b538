"""Open311 GeoReport v2 use cases: discovery data, services, submissions, reading the open-data feed, keys.

A GeoReport POST becomes a `NewRequest` with `channel: open311` and goes through
`RequestService.submit`, so it enters the same loop as an app request (routing, deadlines, SMS when
a mainland mobile was given). Lists read the feed kept from the stream (public fields only); one
request by its number is read from the case itself, so a client sees its POST at once. Both show
only what domain/privacy.py lets the city publish (see open311/mapping.py). The feed itself is kept
from the stream by `minyi.services.open311_feed`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from minyi import policy, text
from minyi.domain.errors import InvalidInput, NotFound
from minyi.domain.metrics import Metric
from minyi.domain.models import Actor, Case, Channel, Role
from minyi.observability import logger, metrics
from minyi.open311 import keys, mapping, params
from minyi.open311.errors import Open311Error, Problem, bad_request, conflict, forbidden, not_found, too_many
from minyi.open311.model import (
    ApiKey,
    IssuedKey,
    PublicRequest,
    PublicUpdate,
    Service,
    ServiceDefinition,
    Submitted,
    TokenAnswer,
)
from minyi.policy import Action
from minyi.ports import ApiKeyRepository, CaseRepository, Clock, Open311Repository
from minyi.services.catalog import CatalogCache
from minyi.services.requests import RequestService
from minyi.services.results import NewRequest

#: An idempotent POST is remembered this long; a claim without a case is taken over after a minute.
IDEMPOTENCY_LIFETIME = timedelta(hours=24)
STALE_CLAIM = timedelta(seconds=60)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def client_actor(key: ApiKey) -> Actor:
    """An Open311 client files as a citizen of its own (its cases are listed under it)."""
    return Actor(role=Role.CITIZEN, id=f"open311:{key.key_id}")


class Open311Service:
    def __init__(
        self,
        requests: RequestService,
        cases: CaseRepository,
        catalog: CatalogCache,
        feed: Open311Repository,
        keys: ApiKeyRepository,
        clock: Clock,
        rate_limit_per_minute: int,
    ):
        self.requests = requests
        self.cases = cases
        self.catalog = catalog
        self.feed = feed
        self.keys = keys
        self.clock = clock
        self.rate_limit = rate_limit_per_minute

    # --- services ------------------------------------------------------------------------------

    def services(self) -> list[Service]:
        return mapping.services(self.catalog.get())

    def definition(self, code: str) -> ServiceDefinition:
        catalog = self.catalog.get()
        if code not in catalog.topics:
            raise not_found("service_code: no such service")
        return mapping.service_definition(catalog, code)

    # --- POST requests -------------------------------------------------------------------------

    def authenticate(self, api_key: str | None) -> ApiKey:
        """The active key, or 403 (missing, malformed, unknown and revoked keys alike)."""
        parsed = keys.parse(api_key) if api_key else None
        key = self.keys.get(parsed[0]) if parsed else None
        if parsed is None or key is None or not keys.matches(parsed[1], key.secret_hash) or not key.active:
            raise forbidden("api_key: missing, invalid or revoked")
        return key

    def _rate_limit(self, key: ApiKey) -> None:
        now = self.clock()
        window = int(now.timestamp()) // 60
        if not self.keys.take(key.key_id, window, self.rate_limit, expires_at=(window + 2) * 60):
            retry_after = max(1, (window + 1) * 60 - int(now.timestamp()))
            metrics.add_metric(name=Metric.OPEN311_RATE_LIMITED, unit="Count", value=1)
            raise too_many(f"api_key: more than {self.rate_limit} requests a minute; retry later", retry_after)

    def submit(self, api_key: str | None, raw: dict[str, str], idempotency_key: str | None) -> Submitted:
        key = self.authenticate(api_key)
        self._rate_limit(key)
        catalog = self.catalog.get()
        if not catalog.topics:
            # a fresh stack: say so, rather than call every service_code unknown
            raise Open311Error(
                [Problem(503, "no catalogue is loaded yet; an administrator must import one (catalog_empty)")],
                retry_after=60,
            )
        sub = params.parse_submission(raw, catalog)
        claim_key: str | None = None
        if idempotency_key is not None:
            claim_key = keys.fingerprint(key.key_id, sub.device_id or "", idempotency_key)
            fingerprint = keys.fingerprint(
                sub.service_code,
                sub.category.value,
                sub.district,
                sub.description,
                sub.address,
                sub.location.model_dump_json() if sub.location else "",
                sub.media_url,
                sub.phone,
            )
            now = self.clock()
            existing = self.feed.claim(
                claim_key,
                fingerprint,
                now,
                stale_before=now - STALE_CLAIM,
                expires_at=int((now + IDEMPOTENCY_LIFETIME).timestamp()),
            )
            if existing is not None:
                if existing.fingerprint != fingerprint:
                    raise bad_request("idempotency_key: already used with different parameters")
                if existing.case_id is None:
                    raise conflict("idempotency_key: the first request is still being processed; retry shortly")
                case = self.cases.get_case(existing.case_id)
                if case is None:
                    raise conflict("idempotency_key: the first request is still being processed; retry shortly")
                return self._submitted(case, sub.account_id)
        new = NewRequest(
            category=sub.category,
            topic=sub.service_code,
            district=sub.district,
            description=sub.description,
            phone=sub.phone,
            address=sub.address,
            location=sub.location,
            channel=Channel.OPEN311,
            media_url=sub.media_url,
        )
        try:
            case = self.requests.submit(client_actor(key), new)
        except InvalidInput as exc:
            if claim_key:
                self.feed.release(claim_key)
            raise bad_request(f"{exc.field}: {text.render(exc.problem, 'en')}") from exc
        except Exception:
            if claim_key:
                self.feed.release(claim_key)
            raise
        if claim_key:
            self.feed.complete(claim_key, case.id)
        try:
            self.keys.count_submission(key.key_id, self.clock())
        except Exception:  # the case is filed; a lost count must not fail the answer
            logger.exception("open311 submission count failed", extra={"key_id": key.key_id})
        metrics.add_metric(name=Metric.OPEN311_SUBMISSIONS, unit="Count", value=1)
        logger.info("open311 request filed", extra={"case_id": case.id, "key_id": key.key_id})
        return self._submitted(case, sub.account_id)

    def _submitted(self, case: Case, account_id: str | None) -> Submitted:
        notice = mapping.service_notice(self.catalog.get(), case.category)
        return Submitted(
            service_request_id=case.tracking_no, token=case.id, service_notice=notice, account_id=account_id
        )

    # --- GET requests --------------------------------------------------------------------------

    def _by_number(self, number: str, with_notes: bool) -> PublicRequest | None:
        entry = self.cases.tracking(number.upper())
        case = self.cases.get_case(entry.case_id, consistent=False) if entry else None
        if case is None:
            return None
        events = self.cases.timeline(case.id) if with_notes else []
        return mapping.public_request(case, self.catalog.get(), events)

    def find(self, raw: dict[str, str]) -> tuple[list[PublicRequest], bool]:
        """The requests a GET asks for, and whether the extensions were asked for."""
        query = params.parse_request_query(raw, self.catalog.get(), self.clock())
        if query.ids is not None:
            found = [self._by_number(n, query.extensions) for n in query.ids]
            return [r for r in found if r is not None], query.extensions
        catalog = self.catalog.get()
        items = self.feed.requests(
            query.window.start,
            query.window.end,
            query.service_codes,
            query.statuses,
            offset=(query.page - 1) * query.page_size,
            limit=query.page_size,
        )
        return [mapping.as_published(r, catalog) for r in items], query.extensions

    def request(self, number: str, raw: dict[str, str]) -> tuple[PublicRequest, bool]:
        extensions = params.present(raw).get("extensions", "false").lower()
        if extensions not in ("true", "false"):
            raise bad_request("extensions: true or false")
        found = self._by_number(number, extensions == "true") if len(number) <= 32 else None
        if found is None:
            raise not_found("service_request_id: no such request")
        return found, extensions == "true"

    def token(self, token: str) -> TokenAnswer:
        case = self.cases.get_case(token, consistent=False) if _TOKEN.match(token) else None
        if case is None:
            raise not_found("token: no such token")
        return TokenAnswer(service_request_id=case.tracking_no, token=case.id)

    def updates(self, raw: dict[str, str]) -> list[PublicUpdate]:
        query = params.parse_update_query(raw, self.clock())
        return self.feed.updates(
            query.window.start, query.window.end, offset=(query.page - 1) * query.page_size, limit=query.page_size
        )


class ApiKeyService:
    """Admin use cases: issue (the key is answered once), list and revoke Open311 keys."""

    def __init__(self, keys: ApiKeyRepository, clock: Clock):
        self.keys = keys
        self.clock = clock

    def issue(self, actor: Actor, name: str) -> IssuedKey:
        policy.require(actor, Action.MANAGE_API_KEYS)
        key_id, api_key, secret_hash = keys.new_key()
        key = ApiKey(key_id=key_id, name=name, secret_hash=secret_hash, created_at=self.clock(), created_by=actor.id)
        self.keys.create(key)
        logger.info("open311 key issued", extra={"key_id": key_id})
        return IssuedKey(key=key, api_key=api_key)

    def list_keys(self, actor: Actor) -> list[ApiKey]:
        policy.require(actor, Action.MANAGE_API_KEYS)
        return sorted(self.keys.list_keys(), key=lambda k: k.created_at)

    def revoke(self, actor: Actor, key_id: str) -> ApiKey:
        policy.require(actor, Action.MANAGE_API_KEYS)
        key = self.keys.revoke(key_id, self.clock())
        if key is None:
            raise NotFound("error.no_such_key")
        logger.info("open311 key revoked", extra={"key_id": key_id})
        return key
