"""Presigned attachment uploads (`UPLOAD#<id>` / `UPLOAD`): who may attach what, and which case claimed it."""

from __future__ import annotations

from minyi.adapters.dynamo.table import Table
from minyi.domain.models import Upload


class DynamoUploadRepository:
    """`minyi.ports.UploadRepository` on the single table (the claim is written by case creation)."""

    def __init__(self, table: Table):
        self.table = table

    def put(self, upload: Upload) -> None:
        item = {
            **upload.model_dump(mode="json", exclude_none=True),
            "PK": f"UPLOAD#{upload.upload_id}",
            "SK": "UPLOAD",
            "entity": "upload",
        }
        self.table.ddb.put_item(
            TableName=self.table.name,
            Item=self.table.codec.item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, upload_id: str) -> Upload | None:
        item = self.table.get(f"UPLOAD#{upload_id}", "UPLOAD", consistent=True)
        return Upload.model_validate(item) if item else None
