"""Operating the intake topic model (issue 18, part 3): which model serves suggestions, training a new one
from the city's closed cases, and the admin's view, promotion and rollback.

- **`ModelCache`** is the `ports.TopicModelSource` every suggestion asks. It loads the model in force
  once per container, lazily on the first suggestion (a handler's cold start loads nothing), and after
  that re-reads only the small pointer, at most once every `recheck` (default a minute): a promotion or
  rollback reaches every warm container within that time, and a suggestion in between costs no request.
  Before anything was put in force, or while the store cannot be read, it serves the **packaged model**
  (trained from the seed set, shipped in the layer), so a freshly deployed stack suggests from the first
  complaint.
- **`ModelOps.train`** (the monthly function and `minyi model train`) reads the closed cases of the last
  `TRAINING_DAYS`, each labelled with its final topic (a returned, transferred or reclassified case
  carries the topic the dispatchers settled on), adds the seed set, and calls
  `intake_training.train`: the candidate is judged against the model in force on the newest fifth.
  Every candidate is stored with its held-out numbers; only one that beats the model in force is put
  in force. Reading the cases takes one query per unit and page of its finished cases (GSI5), never a
  scan, and stops at `MAX_CASES` (the newest ones), so a run's time is bounded.
- **Admins** list the versions with their numbers and put any stored version in force (`promote`), or an
  older one back (`rollback`); both only move the pointer, the versions stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from minyi.domain.errors import InvalidInput, NotFound, Unavailable
from minyi.domain.intake_model import TopicModel
from minyi.domain.model_registry import InForce, ModelChange, ModelRecord
from minyi.domain.models import Actor, Case, CaseStatus, Catalog
from minyi.policy import Action, require
from minyi.ports import CaseRepository, Clock, ModelStore
from minyi.services.intake_training import (
    ExampleSource,
    LabelledExample,
    TrainingParams,
    TrainingResult,
    train,
)

log = logging.getLogger(__name__)

#: How often a warm container re-reads the pointer to the model in force.
RECHECK = timedelta(minutes=1)
#: Closed cases older than this are not trained on (the city's words and units change).
TRAINING_DAYS = 365
#: At most this many closed cases are trained on, the newest (bounds a run's time and memory).
MAX_CASES = 50_000
#: Finished cases read per query of a unit's history.
PAGE = 200
#: Who the monthly function acts as in the pointer's history.
SCHEDULE = "schedule"


class ModelCache:
    """`ports.TopicModelSource`: the model in force, loaded lazily, re-checked cheaply."""

    def __init__(
        self,
        store: ModelStore,
        packaged: Callable[[], TopicModel | None],
        clock: Clock,
        recheck: timedelta = RECHECK,
    ):
        self.store = store
        self.packaged = packaged
        self.clock = clock
        self.recheck = recheck
        self._version: str | None = None
        self._model: TopicModel | None = None
        self._checked_at: datetime | None = None
        self._fallback: TopicModel | None = None
        self._fallback_loaded = False

    def in_force(self) -> TopicModel | None:
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.recheck:
            return self._model or self._packaged()
        self._checked_at = now
        try:
            pointer = self.store.in_force()
            if pointer is not None and (pointer.version != self._version or self._model is None):
                model = self.store.load(pointer.version)
                if model is not None:
                    self._version, self._model = pointer.version, model
            elif pointer is None:
                self._version, self._model = None, None
        except Unavailable:
            # the store cannot be read: keep serving what this container has (or the packaged model)
            log.warning("topic model store unavailable; serving version %s", self._version or "packaged")
        return self._model or self._packaged()

    def _packaged(self) -> TopicModel | None:
        if not self._fallback_loaded:
            self._fallback = self.packaged()
            self._fallback_loaded = True
        return self._fallback


@dataclass(frozen=True)
class ModelList:
    in_force: InForce | None
    #: The version answering suggestions now: the one in force, or the packaged model's.
    serving: str | None
    versions: list[ModelRecord]


@dataclass(frozen=True)
class TrainingOutcome:
    result: TrainingResult
    record: ModelRecord
    #: The pointer after the run: the candidate's when it was promoted.
    in_force: InForce | None
    cases: int


class ModelOps:
    """Training, listing, promotion and rollback of the stored topic models."""

    def __init__(
        self,
        store: ModelStore,
        packaged: Callable[[], TopicModel | None],
        clock: Clock,
        cases: CaseRepository | None = None,
        catalog: Callable[[], Catalog] | None = None,
        seed: Callable[[], Sequence[LabelledExample]] = tuple,
    ):
        self.store = store
        self.packaged = packaged
        self.clock = clock
        self.cases = cases
        self.catalog = catalog
        self.seed = seed

    # --- the admin's view -------------------------------------------------------------------------

    def models(self, actor: Actor) -> ModelList:
        require(actor, Action.MANAGE_MODELS)
        pointer = self.store.in_force()
        packaged = self.packaged()
        serving = pointer.version if pointer else (packaged.version if packaged else None)
        return ModelList(in_force=pointer, serving=serving, versions=self.store.records())

    def promote(self, actor: Actor, version: str) -> InForce:
        """Put any stored version in force."""
        require(actor, Action.MANAGE_MODELS)
        return self._put_in_force(version, actor.id, ModelChange.PROMOTED)

    def rollback(self, actor: Actor, version: str) -> InForce:
        """Put a version trained before the one in force back in force."""
        require(actor, Action.MANAGE_MODELS)
        record = self._record(version)
        pointer = self.store.in_force()
        current = self.store.record(pointer.version) if pointer else None
        if current is None or record.trained_at >= current.trained_at or record.version == current.version:
            raise InvalidInput("version", "error.model_not_older", version=version)
        return self._put_in_force(version, actor.id, ModelChange.ROLLED_BACK)

    def _record(self, version: str) -> ModelRecord:
        record = self.store.record(version)
        if record is None:
            raise NotFound("error.model_not_found", version=version)
        return record

    def _put_in_force(self, version: str, by: str, change: ModelChange) -> InForce:
        self._record(version)
        pointer = self.store.in_force()
        if pointer is not None and pointer.version == version:
            return pointer  # already in force: asking again changes nothing
        moved = InForce(
            version=version,
            since=self.clock(),
            by=by,
            change=change,
            previous=pointer.version if pointer else None,
        )
        self.store.put_in_force(moved)
        return moved

    # --- training ---------------------------------------------------------------------------------

    def closed_examples(self, catalog: Catalog, since: datetime) -> list[LabelledExample]:
        """Closed cases since `since`, labelled with their final topic, the newest `MAX_CASES`: one query
        per page of each unit's finished cases (newest first, so each unit stops at `since`)."""
        if self.cases is None:
            return []
        found: list[Case] = []
        for unit_id in sorted(catalog.units):
            cursor: str | None = None
            while True:
                page, cursor = self.cases.list_unit_history(unit_id, CaseStatus.CLOSED, PAGE, cursor)
                recent = [c for c in page if (c.closed_at or c.updated_at) >= since]
                found.extend(recent)
                if cursor is None or len(recent) < len(page) or len(found) >= MAX_CASES * 2:
                    break
        found.sort(key=lambda c: (c.closed_at or c.updated_at, c.id), reverse=True)
        return [
            LabelledExample(
                text=c.description,
                topic=c.topic,
                source=ExampleSource.CASE,
                closed_at=c.closed_at or c.updated_at,
                district=c.district,
            )
            for c in reversed(found[:MAX_CASES])
            if c.topic in catalog.topics and c.description.strip()
        ]

    def train(self, by: str = SCHEDULE, params: TrainingParams = TrainingParams()) -> TrainingOutcome:
        """Train a candidate on the seed set and the closed cases, store it with its numbers, and put it
        in force when it beats the model in force on the same held-out slice."""
        if self.catalog is None:
            raise Unavailable("error.catalog_empty")
        catalog = self.catalog()
        now = self.clock()
        cases = self.closed_examples(catalog, now - timedelta(days=TRAINING_DAYS))
        examples = [*self.seed(), *cases]
        pointer = self.store.in_force()
        incumbent = (self.store.load(pointer.version) if pointer else None) or self.packaged()
        result = train(examples, list(catalog.topics), catalog.topic_keywords, now, incumbent, params)
        record = ModelRecord.of(
            result.model,
            now,
            train_examples=result.train_examples,
            baseline=(result.in_force.top1, result.in_force.macro_f1),
        )
        self.store.save(result.model, record)
        if result.promoted:
            pointer = self._put_in_force(result.model.version, by, ModelChange.TRAINED)
        return TrainingOutcome(result=result, record=record, in_force=pointer, cases=len(cases))
