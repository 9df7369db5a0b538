"""Idempotent submission with Powertools idempotency, over the store `minyi.bootstrap.idempotency_store`
wires (`minyi.ports.IdempotencyStore`: a dedicated table, key `id`, TTL `expiration`).

Built on first use: the persistence layer imports boto3, which a cold start should not pay for
unless a request actually carries an Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from minyi.api import schemas
from minyi.domain.errors import DomainError, InvalidInput
from minyi.domain.models import Actor

if TYPE_CHECKING:
    from minyi.ports import IdempotencyStore


class SubmitCommand(BaseModel):
    citizen_id: str
    citizen: Actor
    idempotency_key: str
    request: schemas.SubmitRequestBody


class IdempotencyInProgress(DomainError):
    code = "in_progress"


class IdempotentSubmit:
    def __init__(
        self, store: IdempotencyStore, submit: Callable[[Actor, schemas.SubmitRequestBody], schemas.CaseCreated]
    ):
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

        persistence = store.persistence_layer()
        config = IdempotencyConfig(
            event_key_jmespath="[citizen_id, idempotency_key]",
            payload_validation_jmespath="request",
            expires_after_seconds=24 * 3600,
            raise_on_no_idempotency_key=True,
        )

        @idempotent_function(
            data_keyword_argument="command",
            persistence_store=persistence,
            config=config,
            output_serializer=PydanticSerializer(model=schemas.CaseCreated),
        )
        def run(command: SubmitCommand) -> schemas.CaseCreated:
            return submit(command.citizen, command.request)

        self._run = run
        self._config = config

    def __call__(
        self, citizen: Actor, body: schemas.SubmitRequestBody, key: str, lambda_context: Any = None
    ) -> schemas.CaseCreated:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        if lambda_context is not None:
            # lets an in-progress record expire with the invocation if Lambda times out mid-way
            self._config.register_lambda_context(lambda_context)
        command = SubmitCommand(citizen_id=citizen.id, citizen=citizen, idempotency_key=key, request=body)
        try:
            return self._run(command=command)  # type: ignore[no-any-return]
        except IdempotencyValidationError as exc:
            raise InvalidInput("Idempotency-Key", "error.idempotency_key_reused") from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise IdempotencyInProgress("error.idempotency_in_progress") from exc
