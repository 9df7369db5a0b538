"""The template's resources on in-process moto with the handlers loaded from template.yaml, for the
benchmarks that call services directly (SMS, sweep, stats) rather than through the local API."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

REGION = "ap-east-1"
BULK_WRITE_ITEMS = 25  # BatchWriteItem's maximum


@dataclass
class Stack:
    template: Any
    lambdas: Any
    resources: dict[str, str]
    table: Any  # minyi.adapters.dynamo.Table of the cases table


@contextlib.contextmanager
def embedded_stack() -> Iterator[Stack]:
    for key, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # plain dynamodbstreams clients on moto (the DLQ replay)
    }.items():
        os.environ[key] = value
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "MOTO_S3_CUSTOM_ENDPOINTS"):
        os.environ.pop(key, None)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    from moto import mock_aws

    from infra.local import moto_patches
    from infra.local.aws import MOTO_CONFIG, EmbeddedAws
    from infra.local.lambdas import LocalLambdas
    from infra.local.template import Template
    from minyi.adapters.aws import reset_clients
    from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_units_and_rules
    from minyi.adapters.dynamo import DynamoCatalogRepository, Table

    template = Template(REGION)
    lambdas = LocalLambdas(template, {"POWERTOOLS_LOG_LEVEL": "ERROR"})
    lambdas.install_botocore_hook()
    moto_patches.install()
    try:
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
            reset_clients()
            resources = EmbeddedAws(template).create_resources()
            table = Table(resources["CasesTable"])
            _, rules = shenzhen_units_and_rules()
            DynamoCatalogRepository(table).seed(shenzhen_catalog(), rules)
            yield Stack(template, lambdas, resources, table)
    finally:
        reset_clients()


def open_case(now: datetime, unit_id: str | None, due_at: datetime | None, status: str = "DISPATCHED") -> Any:
    """A case as the repository stores it, dispatched an hour ago (or submitted, without a unit)."""
    from minyi.domain.models import Case

    return Case.model_validate(
        {
            "id": uuid.uuid4().hex,
            "tracking_no": f"SZ-{uuid.uuid4().hex[:8]}",
            "citizen_id": "bench",
            "phone": "+8613812345678",
            "category": "complaint",
            "topic": "traffic",
            "district": "futian",
            "description": "bench",
            "status": status,
            "unit_id": unit_id,
            "due_at": due_at,
            "dispatched_at": now - timedelta(hours=1) if unit_id else None,
            "created_at": now - timedelta(hours=1),
            "updated_at": now - timedelta(hours=1),
            "version": 1,
        }
    )


def bulk_put_cases(table: Any, cases: list[Any]) -> None:
    """Write cases straight into the table (set-up, not what is measured)."""
    from minyi.adapters.dynamo import DynamoCaseRepository

    repo = DynamoCaseRepository(table)
    for i in range(0, len(cases), BULK_WRITE_ITEMS):
        chunk = [{"PutRequest": {"Item": repo._case_item(c)}} for c in cases[i : i + BULK_WRITE_ITEMS]]
        table.ddb.batch_write_item(RequestItems={table.name: chunk})
