"""The intake topic models in S3 (`ports.ModelStore`), and the packaged model and seed set in the layer.

The models bucket holds, under keys that never change meaning:

- `models/<version>.json`: the model as `TopicModel.to_json` writes it (what was evaluated is what is
  served, byte for byte);
- `records/<version>.json`: its `ModelRecord` (held-out numbers), small, so listing the versions reads
  no model;
- `in-force.json`: the pointer (`InForce`) every container re-reads about once a minute. The bucket is
  versioned, so each earlier pointer stays readable as an object version: who put what in force, when.

`intake_data/` beside this module ships in the Lambda layer: `model.json`, the model trained from the
seed set (`minyi model train --packaged` writes it; a test checks it is what training gives), served
until a stack has one in force, and `seed.jsonl`, a copy of `data/intake/seed.jsonl` that the monthly
training function trains on with the city's cases (a test keeps the two equal).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from minyi.adapters.aws import client
from minyi.domain.errors import Unavailable
from minyi.domain.intake_model import TopicModel
from minyi.domain.model_registry import InForce, ModelRecord

PACKAGED_DIR: Final = Path(__file__).resolve().parent / "intake_data"
PACKAGED_MODEL: Final = PACKAGED_DIR / "model.json"
PACKAGED_SEED: Final = PACKAGED_DIR / "seed.jsonl"
POINTER_KEY: Final = "in-force.json"
_MISSING: Final = frozenset({"404", "NoSuchKey", "NotFound"})


def _missing(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") in _MISSING


class S3ModelStore:
    """`ports.ModelStore` on the models bucket."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    def _get(self, key: str) -> bytes | None:
        s3 = client("s3")
        try:
            body: bytes = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        except s3.exceptions.ClientError as exc:
            if _missing(exc):
                return None
            raise Unavailable("error.model_store_unavailable") from exc
        return body

    def _put(self, key: str, body: str) -> None:
        client("s3").put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/json")

    def save(self, model: TopicModel, record: ModelRecord) -> None:
        self._put(f"models/{model.version}.json", model.to_json())
        self._put(f"records/{record.version}.json", record.model_dump_json())

    def records(self) -> list[ModelRecord]:
        keys: list[str] = []
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="records/"):
            keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        records = [r for r in (self._record_at(k) for k in keys) if r is not None]
        return sorted(records, key=lambda r: (r.trained_at, r.version), reverse=True)

    def _record_at(self, key: str) -> ModelRecord | None:
        body = self._get(key)
        return None if body is None else ModelRecord.model_validate_json(body)

    def record(self, version: str) -> ModelRecord | None:
        return self._record_at(f"records/{version}.json")

    def load(self, version: str) -> TopicModel | None:
        body = self._get(f"models/{version}.json")
        return None if body is None else TopicModel.from_json(body)

    def in_force(self) -> InForce | None:
        body = self._get(POINTER_KEY)
        return None if body is None else InForce.model_validate_json(body)

    def put_in_force(self, pointer: InForce) -> None:
        self._put(POINTER_KEY, pointer.model_dump_json())


@cache
def packaged_model() -> TopicModel | None:
    """The model trained from the seed set, shipped in the layer (None if a build left it out)."""
    try:
        return TopicModel.from_json(PACKAGED_MODEL.read_bytes())
    except FileNotFoundError:
        return None
