"""The admin API for accounts, the catalogue and the intake topic models: request and response models, views."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from minyi.domain.accounts import Account, NewAccount
from minyi.domain.base import Model
from minyi.domain.catalog_doc import CatalogVersion, StoredCatalog
from minyi.domain.model_registry import InForce, ModelChange
from minyi.domain.models import Role
from minyi.domain.phone import normalise_phone
from minyi.services.catalog_admin import CatalogChange
from minyi.services.model_ops import ModelList

StaffRole = Literal["staff", "dispatcher", "supervisor", "operator", "admin"]


class NewStaffBody(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(description="the person's mobile: their sign-in name; the temporary password comes by SMS")
    name: str = Field(min_length=1, max_length=64)
    role: StaffRole
    unit_id: str | None = Field(default=None, max_length=64, description="staff only: their unit (GET /v1/units)")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)

    def command(self) -> NewAccount:
        return NewAccount(phone=self.phone, name=self.name, role=Role(self.role), unit_id=self.unit_id)


class StaffView(Model):
    username: str = Field(description="the account's id (the `sub` of its tokens)")
    phone: str | None = None
    name: str | None = None
    role: Role | None = None
    unit_id: str | None = None
    enabled: bool
    status: str | None = Field(default=None, description="FORCE_CHANGE_PASSWORD until the first sign-in")
    created_at: datetime | None = None


class StaffList(Model):
    items: list[StaffView]


def staff_view(account: Account) -> StaffView:
    return StaffView.model_validate(account.model_dump())


class CatalogVersionView(Model):
    version: int
    published_at: datetime
    published_by: str
    document: dict[str, object]


class CatalogVersionEntry(Model):
    version: int
    published_at: datetime
    published_by: str = Field(description="the admin who accepted it (their account's id)")


class CatalogHistoryView(Model):
    current: int = Field(description="the version in force (0 before the first import)")
    versions: list[CatalogVersionEntry] = Field(description="every accepted version, newest first")


def catalog_history_view(versions: list[CatalogVersion]) -> CatalogHistoryView:
    return CatalogHistoryView(
        current=versions[0].version if versions else 0,
        versions=[CatalogVersionEntry.model_validate(v.model_dump()) for v in versions],
    )


class SectionChanges(Model):
    added: list[str]
    removed: list[str]
    changed: list[str]


class CatalogChangeView(Model):
    dry_run: bool
    previous_version: int
    version: int | None = Field(description="the version the document became; null on a dry run or no change")
    changes: int
    diff: dict[str, SectionChanges]


def catalog_version_view(stored: StoredCatalog) -> CatalogVersionView:
    return CatalogVersionView.model_validate(stored.model_dump())


def catalog_change_view(change: CatalogChange) -> CatalogChangeView:
    return CatalogChangeView(
        dry_run=change.dry_run,
        previous_version=change.previous_version,
        version=change.version,
        changes=change.diff.changes,
        diff={name: SectionChanges(**s.model_dump()) for name, s in change.diff.sections.items()},
    )


class ModelVersionView(Model):
    version: str
    trained_at: datetime
    kind: str = Field(description="linear (trained) or keywords")
    top1: float | None = Field(default=None, description="held-out top-1 accuracy")
    top3: float | None = Field(default=None, description="held-out top-3 accuracy")
    macro_f1: float | None = None
    threshold: float | None = Field(default=None, description="the auto-route threshold (null: never routes alone)")
    held_out_examples: int
    train_examples: int
    baseline_top1: float | None = Field(default=None, description="the model in force then, on the same slice")
    baseline_macro_f1: float | None = None
    in_force: bool


class ModelInForceView(Model):
    version: str
    since: datetime
    by: str = Field(description="the admin's account id, or `schedule` for the monthly training")
    change: ModelChange
    previous: str | None = None


class ModelListView(Model):
    serving: str | None = Field(
        description="the version answering suggestions (the packaged one until one is in force)"
    )
    in_force: ModelInForceView | None
    versions: list[ModelVersionView] = Field(description="every stored version, the newest trained first")


def model_in_force_view(pointer: InForce) -> ModelInForceView:
    return ModelInForceView.model_validate(pointer.model_dump())


def model_list_view(models: ModelList) -> ModelListView:
    current = models.in_force.version if models.in_force else None
    return ModelListView(
        serving=models.serving,
        in_force=model_in_force_view(models.in_force) if models.in_force else None,
        versions=[ModelVersionView(**r.model_dump(), in_force=r.version == current) for r in models.versions],
    )
