"""Smart intake (issue 18, parts 1, 2 and 4's candidates): the topic suggested from what people write,
the district from where they are, and the open cases their complaint may repeat.

- **Topics**: the model in force (`TopicModelSource`, the newest promoted one), else the catalogue's
  keywords (`keyword_model`, rebuilt when the catalogue's version moves). Only topics the catalogue
  has now are suggested (a model trained before a topic was removed never names it).
- **District**: the catalogue's district areas at the point (`boundary`), else the district most of
  the nearby open cases have (`history`: they were filed there and routed), else a district's name in
  the text (`text`), else none.
- **Duplicates**: open cases of the given (else the best) topic near the point, read from the nearby
  index (a geohash cell and those of its 8 neighbours the 300 m radius reaches: at most 4 queries,
  no scan) and ranked by
  `minyi.domain.duplicates`. A citizen sees of them the topic, the district and how long ago; staff
  the description with identifiers masked (`Candidate` carries both, the API picks by the caller).
- **Filing without a topic** (`classify`): the model's best topic when it clears the model's own
  auto-route threshold (read off its held-out curve for ≥ 0.95 precision; the keyword model has none,
  so it never routes alone), else `UNSORTED_TOPIC`: the case waits in the dispatch centre's queue,
  where dispatchers see what was suggested (`Case.suggestion`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from minyi import policy
from minyi.domain import geo, geohash
from minyi.domain.duplicates import RADIUS_M, WINDOW, Candidate, OpenCase, rank
from minyi.domain.errors import InvalidInput
from minyi.domain.intake_model import DEFAULT_TOP_K, TopicModel, TopicScore, keyword_model
from minyi.domain.models import (
    UNSORTED_TOPIC,
    Actor,
    Case,
    CaseSuggestion,
    Catalog,
    Location,
    Role,
    SuggestedTopic,
    SuggestionSource,
)
from minyi.policy import Action
from minyi.ports import CaseRepository, Clock, NearbyCases, NearbyRead, TopicModelSource
from minyi.services.catalog import CatalogCache


class DistrictSource(StrEnum):
    """Where a suggested district comes from, most trusted first."""

    BOUNDARY = "boundary"
    HISTORY = "history"
    TEXT = "text"


@dataclass(frozen=True)
class DistrictGuess:
    district: str
    source: DistrictSource


@dataclass(frozen=True)
class IntakeQuery:
    """What the caller has written so far (and where), as `POST /v1/intake/suggestions` takes it."""

    description: str
    topic: str | None = None
    location: Location | None = None
    address: str | None = None


@dataclass(frozen=True)
class Suggestions:
    model_version: str
    topics: list[TopicScore]
    district: DistrictGuess | None
    duplicates: list[Candidate]
    #: True when the caller may read other people's words (staff); citizens and operators see summaries.
    staff_view: bool
    #: The catalogue the suggestion was made with (its names render the summaries).
    catalog: Catalog
    #: What the nearby index cost (None: no location, nothing read).
    reads: NearbyRead | None = None


@dataclass(frozen=True)
class CaseDuplicates:
    case: Case
    duplicates: list[Candidate]
    catalog: Catalog


@dataclass(frozen=True)
class Classification:
    """What a case is filed with when its topic (or district) was left out."""

    topic: str
    district: str | None
    suggestion: CaseSuggestion
    candidates: list[Candidate] = field(default_factory=list)


#: Who reads other people's descriptions in duplicate candidates (masked): the staff desks.
STAFF_VIEW_ROLES = frozenset({Role.DISPATCHER, Role.STAFF, Role.SUPERVISOR, Role.ADMIN})


class IntakeService:
    def __init__(
        self,
        catalog: CatalogCache,
        nearby: NearbyCases,
        cases: CaseRepository,
        clock: Clock,
        models: TopicModelSource | None = None,
    ):
        self.catalog = catalog
        self.nearby = nearby
        self.cases = cases
        self.clock = clock
        #: The trained model in force; None (or a source that has none yet): the catalogue's keywords.
        self.models = models
        self._keywords: tuple[int, TopicModel] | None = None

    # --- the model ------------------------------------------------------------------------------

    def model(self, catalog: Catalog) -> TopicModel:
        trained = self.models.in_force() if self.models is not None else None
        if trained is not None:
            return trained
        return self._keyword_model(catalog)

    def _keyword_model(self, catalog: Catalog) -> TopicModel:
        if self._keywords is None or self._keywords[0] != catalog.version:
            model = keyword_model(list(catalog.topics), catalog.topic_keywords, version=f"keywords-{catalog.version}")
            self._keywords = (catalog.version, model)
        return self._keywords[1]

    def topics(self, model: TopicModel, catalog: Catalog, text: str) -> list[TopicScore]:
        """The best topics the catalogue has now, at least three (fewer only if it has fewer). A model
        trained on another catalogue (the packaged one knows Shenzhen's topics) names only the topics
        this one has; when that leaves fewer than three, the catalogue's keywords fill the rest, after
        the model's own (their scores capped at the model's last, so the list stays best first)."""
        ranked = [s for s in model.suggest(text, len(model.topics)) if s.topic in catalog.topics]
        if len(ranked) < DEFAULT_TOP_K:
            have = {s.topic for s in ranked}
            cap = ranked[-1].score if ranked else 1.0
            ranked += [
                TopicScore(s.topic, min(s.score, cap))
                for s in self._keyword_model(catalog).suggest(text, len(catalog.topics))
                if s.topic not in have
            ]
        return ranked[:DEFAULT_TOP_K]

    # --- suggestions while writing --------------------------------------------------------------

    def suggest(self, actor: Actor, query: IntakeQuery) -> Suggestions:
        policy.require(actor, Action.SUGGEST)
        catalog = self.catalog.get()
        if query.topic is not None and query.topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        model = self.model(catalog)
        topics = self.topics(model, catalog, query.description)
        topic = query.topic or (topics[0].topic if topics else None)
        district, read, candidates = self._near(catalog, query.description, topic, query.location)
        return Suggestions(
            model_version=model.version,
            topics=topics,
            district=district,
            duplicates=candidates,
            staff_view=actor.role in STAFF_VIEW_ROLES,
            catalog=catalog,
            reads=read,
        )

    def _near(
        self, catalog: Catalog, text: str, topic: str | None, location: Location | None, exclude: str | None = None
    ) -> tuple[DistrictGuess | None, NearbyRead | None, list[Candidate]]:
        """The district guess, the index read and the ranked candidates for a complaint at `location`."""
        if location is not None and catalog.bounds is not None and not catalog.bounds.contains(location):
            raise InvalidInput("location", "error.outside_city")
        read: NearbyRead | None = None
        near: list[OpenCase] = []
        boundary = None
        if location is not None:
            boundary = geo.district_at(location.lat, location.lon, catalog.district_areas)
            if topic is not None:
                cells = geohash.cells_within(location.lat, location.lon, RADIUS_M, geohash.NEAR_PRECISION)
                read = self.nearby.open_near(topic, cells, self.clock() - WINDOW)
                near = [
                    c
                    for c in read.cases
                    if c.case_id != exclude
                    and geohash.distance_m((location.lat, location.lon), (c.lat, c.lon)) <= RADIUS_M
                ]
        district = self._district(catalog, text, boundary, near)
        candidates: list[Candidate] = []
        if location is not None and near:
            candidates = rank(
                text,
                location.lat,
                location.lon,
                district.district if district else None,
                near,
                self.clock(),
                exclude=exclude,
            )
        return district, read, candidates

    @staticmethod
    def _district(catalog: Catalog, text: str, boundary: str | None, near: list[OpenCase]) -> DistrictGuess | None:
        if boundary is not None and boundary in catalog.districts:
            return DistrictGuess(boundary, DistrictSource.BOUNDARY)
        counts = Counter(c.district for c in near if c.district in catalog.districts)
        if counts:
            (best, n), *rest = counts.most_common()
            if not rest or rest[0][1] < n:  # a tie names no district
                return DistrictGuess(best, DistrictSource.HISTORY)
        named = district_in_text(catalog, text)
        return DistrictGuess(named, DistrictSource.TEXT) if named else None

    # --- filing without a topic ----------------------------------------------------------------

    def classify(
        self, description: str, topic: str | None, district: str | None, location: Location | None
    ) -> Classification:
        """The topic and district a submission is filed with, and the suggestion it records. A given
        topic is kept (and recorded as given); a missing one is the model's when it is sure enough,
        else `UNSORTED_TOPIC` for the dispatch centre. A missing district is the location's (boundary
        or history), else None (the caller refuses the submission)."""
        catalog = self.catalog.get()
        model = self.model(catalog)
        topics = self.topics(model, catalog, description)
        if topic is not None:
            chosen, source = topic, SuggestionSource.GIVEN
        else:
            auto = model.auto_topic(description)
            if auto is not None and auto in catalog.topics:
                chosen, source = auto, SuggestionSource.MODEL
            else:
                chosen, source = UNSORTED_TOPIC, SuggestionSource.DISPATCH
        if district is None and location is not None:
            best = topics[0].topic if topics else None
            guess, _, _ = self._near(catalog, "", chosen if chosen != UNSORTED_TOPIC else best, location)
            if guess is not None and guess.source != DistrictSource.TEXT:
                district = guess.district
        suggestion = CaseSuggestion(
            model_version=model.version,
            topics=[SuggestedTopic(topic=s.topic, score=s.score) for s in topics],
            chosen=chosen,
            source=source,
        )
        return Classification(topic=chosen, district=district, suggestion=suggestion)

    # --- a case's duplicates ---------------------------------------------------------------------

    def duplicates(self, actor: Actor, case_id: str) -> CaseDuplicates:
        """Open cases the case may repeat (dispatchers, and the holding unit's staff): the same
        candidates as at intake, the case itself left out."""
        case: Case = policy.require_case(actor, Action.DUPLICATES, self.cases.get_case(case_id, consistent=False))
        catalog = self.catalog.get()
        if case.location is None or case.topic == UNSORTED_TOPIC:
            return CaseDuplicates(case, [], catalog)
        _, _, candidates = self._near(catalog, case.description, case.topic, case.location, exclude=case.id)
        return CaseDuplicates(case, candidates, catalog)


def district_in_text(catalog: Catalog, text: str) -> str | None:
    """The district whose name the text mentions first (福田区, or 福田 without 区), if any."""
    best: tuple[int, str] | None = None
    for code, names in catalog.districts.items():
        full = names.get("zh", "")
        for name in {full, full.removesuffix("新区"), full.removesuffix("区")}:
            if len(name) < 2:
                continue
            at = text.find(name)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, code)
    return best[1] if best else None
