"""Replay the notify dead-letter queue: `make replay-dlq` (AWS) or `POST /local/replay-dlq` (local).

Each message is Lambda's on-failure record of a stream batch (shard and sequence-number range). The
records are read back from the stream (kept 24 hours), filtered like the event source mapping, and
the function is invoked with them; the message is deleted only when every record succeeded. The
outbox makes this safe: notices already sent are not sent again.

A tool for the deployed stack: it talks to AWS through the public APIs only and imports nothing of
the local runtime (`infra.local` uses it, not the other way round).

    python -m infra.replay_dlq --queue-url URL --function-name NAME [--max-messages N]
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamLambdaOnFailureDestinationModel

Invoke = Callable[[dict[str, Any]], dict[str, Any] | None]
Wanted = Callable[[dict[str, Any]], bool]


#: Empty GetRecords pages in a row after which the batch counts as unreadable (kept for later).
MAX_EMPTY_PAGES = 100
#: GetRecords' page size.
RECORDS_PER_PAGE = 1000


def lambda_record(raw: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A dynamodbstreams GetRecords record in the shape Lambda delivers it: epoch seconds for the
    creation time, the stream's ARN and region filled in."""
    ddb = dict(raw["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = (created if created.tzinfo else created.replace(tzinfo=UTC)).timestamp()
    return {
        "eventID": raw.get("eventID", uuid.uuid4().hex),
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
        "dynamodb": ddb,
    }


def _records_of(info: Any, region: str) -> list[dict[str, Any]] | None:
    """The batch's records read back from the stream, or None if the whole range could not be read
    (trimmed, or the stream kept answering empty pages): then the message must stay in the queue."""
    import boto3

    streams = boto3.client("dynamodbstreams")
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info.stream_arn,
            ShardId=info.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info.start_sequence_number,
        )["ShardIterator"]
    except streams.exceptions.ClientError as exc:
        print(f"cannot read the batch back: {exc}")
        return None
    end = int(info.end_sequence_number)
    records: list[dict[str, Any]] = []
    empty_pages = 0
    while iterator and empty_pages < MAX_EMPTY_PAGES:
        try:
            resp = streams.get_records(ShardIterator=iterator, Limit=RECORDS_PER_PAGE)
        except streams.exceptions.ClientError as exc:  # trimmed data, expired iterator
            print(f"cannot read the batch back: {exc}")
            return None
        page = resp.get("Records", [])
        empty_pages = 0 if page else empty_pages + 1
        for raw in page:
            sequence = int(raw["dynamodb"]["SequenceNumber"])
            if sequence > end:
                return records
            records.append(lambda_record(raw, info.stream_arn, region))
            if sequence == end:
                return records
        iterator = resp.get("NextShardIterator")
    return None  # never reached the end of the batch: keep the message


def replay(queue_url: str, invoke: Invoke, wanted: Wanted, region: str, max_messages: int = 100) -> dict[str, int]:
    import boto3

    sqs = boto3.client("sqs")
    counts = {"messages": 0, "records": 0, "replayed_messages": 0, "still_failing": 0}
    while counts["messages"] < max_messages:
        resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = resp.get("Messages", [])
        if not messages:
            break
        for message in messages:
            counts["messages"] += 1
            failure = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(json.loads(message["Body"]))
            read_back = _records_of(failure.ddb_stream_batch_info, region)
            if read_back is None:
                counts["still_failing"] += 1
                continue
            records = [r for r in read_back if wanted(r)]
            counts["records"] += len(records)
            try:
                result = invoke({"Records": records}) if records else {}
                ok = not (result or {}).get("batchItemFailures")
            except Exception as exc:  # keep the message for the next replay
                print(f"replay failed: {type(exc).__name__}: {exc}")
                ok = False
            if ok:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                counts["replayed_messages"] += 1
            else:
                counts["still_failing"] += 1
    return counts


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url", required=True, help="NotifyDeadLetterQueueUrl stack output")
    parser.add_argument("--function-name", required=True, help="the notify function's name")
    parser.add_argument("--max-messages", type=int, default=100)
    args = parser.parse_args()
    lam = boto3.client("lambda")
    region = lam.meta.region_name

    def invoke(event: dict[str, Any]) -> dict[str, Any] | None:
        resp = lam.invoke(FunctionName=args.function_name, Payload=json.dumps(event).encode())
        payload = json.loads(resp["Payload"].read() or b"null")
        if resp.get("FunctionError"):
            raise RuntimeError(payload)
        return payload  # type: ignore[no-any-return]

    def timeline_insert(record: dict[str, Any]) -> bool:
        sk = record["dynamodb"].get("Keys", {}).get("SK", {}).get("S", "")
        return record["eventName"] == "INSERT" and sk.startswith("EVENT#")

    print(json.dumps(replay(args.queue_url, invoke, timeline_insert, region, args.max_messages)))


if __name__ == "__main__":
    main()
