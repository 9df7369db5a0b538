"""The intake topic models a stack keeps (issue 18, part 3): every trained version with the held-out
measurements it was judged on, and which one is in force.

Why a registry and not "the newest model": a model is only put in force when it beats the one in force
on the newest fifth of the cases (`minyi.services.intake_training.beats`), so a month whose model lost
leaves last month's in force; and an admin who sees dispatchers correcting more suggestions than before
puts an older version back in force (rollback) without retraining. The versions are never deleted, so
what was in force on any day can be read back, and the held-out numbers shown to admins are the ones
the promotion was decided on.

Pure: the store (`ports.ModelStore`, S3 in AWS) keeps these records beside each model's JSON.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from minyi.domain.base import Model
from minyi.domain.intake_model import TopicModel

#: A version's name as `intake_training.model_version` makes it (`YYYYMMDD-<hash>`), or the packaged
#: model's; kept to a safe alphabet since it is a path segment in the store and the API.
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ModelChange(StrEnum):
    """Why a version came into force."""

    TRAINED = "trained"  # the training job promoted it: it beat the model in force
    PROMOTED = "promoted"  # an admin put it in force
    ROLLED_BACK = "rolled_back"  # an admin put an older version back in force


class ModelRecord(Model):
    """One stored version and its held-out measurements (what `GET /v1/admin/models` lists)."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(pattern=VERSION_PATTERN)
    trained_at: datetime
    kind: str
    top1: float | None = None
    top3: float | None = None
    macro_f1: float | None = None
    #: The auto-route threshold chosen on the held-out curve (None: the model never routes on its own).
    threshold: float | None = None
    #: How many held-out examples the numbers come from, and how many the model was trained on.
    held_out_examples: int = 0
    train_examples: int = 0
    #: The model in force measured on the same held-out slice when this one was trained.
    baseline_top1: float | None = None
    baseline_macro_f1: float | None = None

    @classmethod
    def of(
        cls,
        model: TopicModel,
        trained_at: datetime,
        train_examples: int = 0,
        baseline: tuple[float, float] | None = None,
    ) -> ModelRecord:
        metrics = model.metrics
        return cls(
            version=model.version,
            trained_at=trained_at,
            kind=model.kind.value,
            top1=metrics.get("top1"),
            top3=metrics.get("top3"),
            macro_f1=metrics.get("macro_f1"),
            threshold=model.auto_threshold,
            held_out_examples=int(metrics.get("examples", 0)),
            train_examples=train_examples,
            baseline_top1=None if baseline is None else round(baseline[0], 4),
            baseline_macro_f1=None if baseline is None else round(baseline[1], 4),
        )


class InForce(Model):
    """The pointer to the model in force: which version, since when, who put it there and why."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(pattern=VERSION_PATTERN)
    since: datetime
    by: str
    change: ModelChange
    #: The version it replaced (None: the packaged model was serving).
    previous: str | None = None
