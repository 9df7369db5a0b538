"""Configuration from environment variables, validated once at cold start.

Each function declares the settings it needs as a pydantic model; a missing or malformed variable
fails the cold start with a message naming it, instead of running on a silent default.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

T = TypeVar("T", bound="EnvSettings")


class ConfigurationError(RuntimeError):
    pass


class EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_env(cls: type[T]) -> T:
        values = {name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"invalid environment for {cls.__name__}: {problems}") from exc


class TableSettings(EnvSettings):
    table_name: str = Field(min_length=1)


class ClockSettings(EnvSettings):
    #: Local demos only: a working day lasts this many seconds. Unset in the deployed template.
    working_day_seconds: int | None = Field(default=None, ge=1)


# --- one settings class per function: each validates exactly the variables it reads ---------------


class SubmitSettings(TableSettings):
    attachments_bucket: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    state_machine_arn: str = Field(min_length=1)
    upload_url_ttl_seconds: int = Field(ge=60, le=3600)
    download_url_ttl_seconds: int = Field(ge=60, le=3600)


class CasesSettings(TableSettings, ClockSettings):
    pass


class RateSettings(TableSettings, ClockSettings):
    unsatisfied_at_or_below: int = Field(ge=1, le=4)


class AssignSettings(TableSettings, ClockSettings):
    rating_window_seconds: int = Field(ge=1)


class NotifySettings(TableSettings):
    #: Where the SMS inviting a rating points (the tracking number is appended).
    rating_link_base: str = Field(min_length=1)
    #: Optional alphanumeric sender id where the destination country supports it.
    sms_sender_id: str | None = None


class SweepSettings(TableSettings):
    state_machine_arn: str = Field(min_length=1)
    #: Due cases handled per index shard per run (the rest wait for the next run).
    sweep_batch_limit: int = Field(ge=1, le=5000)


class ScoreboardSettings(TableSettings):
    pass


class StatsSettings(TableSettings):
    pass


#: The settings each function of template.yaml reads (a test checks the template against it).
FUNCTION_SETTINGS: dict[str, type[EnvSettings]] = {
    "SubmitFunction": SubmitSettings,
    "CasesFunction": CasesSettings,
    "RateFunction": RateSettings,
    "AssignFunction": AssignSettings,
    "NotifyFunction": NotifySettings,
    "SweepFunction": SweepSettings,
    "ScoreboardFunction": ScoreboardSettings,
    "StatsFunction": StatsSettings,
}
