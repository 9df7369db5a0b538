"""Every change this project makes to moto's behaviour, in one module, for one moto version.

The local runtime, the integration tests and the benchmark run the real handlers on moto inside one
process, from many threads (API requests, Step Functions executions, stream deliveries). Product
code knows nothing of this; these patches make moto fit that use:

1. One lock (`LOCK`) around every in-process AWS call (`BotocoreStubber.__call__`). moto's backends
   are not atomic across threads: without it, concurrent conditional writes both win and `ADD`
   counters lose updates. The local runtime's HTTP endpoint and its stream reader take the same lock.
2. No snapshot for a transaction whose conditions hold. moto deep-copies every table a
   `TransactWriteItems` touches (items and stream records) before applying it, so each transaction
   costs time in proportion to everything ever written. The conditions are checked first, under the
   lock; when all hold, the copy is skipped. Any other transaction (a failing condition, a duplicate
   key) runs moto's own code with its snapshot and rollback, so a cancellation behaves exactly as
   before. Only a transaction that passes its conditions and then fails inside moto for another
   reason (a malformed expression) would not be rolled back.
3. One boto3 client per (service, region) for the Step Functions interpreter, which otherwise builds
   a new client (about 5 ms of CPU) for every Lambda task of every execution.
4. Parse caches. The Step Functions interpreter parses the state machine definition with ANTLR at
   every `StartExecution` (about 10 ms) and every JSONPath at every use; DynamoDB parses an
   `UpdateExpression` twice per call. The parsed forms are never changed (moto's validator works on
   a deep copy), so they are cached by their text.
5. Plain JSON for DynamoDB item answers. moto 5.2 serialises every answer through a generic,
   shape-driven serialiser that tries about ten spellings of every member of every attribute value:
   4 of the 5.8 ms of a `GetItem` of a 30-attribute item. DynamoDB's item operations answer in
   DynamoDB JSON, which is what moto's models already hold, so those answers are written with
   `json.dumps` (anything that is not plain JSON falls back to moto's serialiser).
6. A running item size. moto checks DynamoDB's 400 KB item limit on every attribute it sets by
   summing the sizes of all attributes already set: building a 40-attribute item costs 800 size
   computations, a third of a `TransactWriteItems`. The size is kept as attributes are added and
   measured again in full when one is replaced; a nested value changed in place is not re-measured
   until then, which only matters for items near 400 KB.
7. No AWS Batch in the Step Functions interpreter. The interpreter imports its Batch integration,
   which imports moto's Batch and EC2 models; EC2 loads botocore's EC2 model and the endpoint table
   at import: 0.9 s of a runtime's 2.4 s start, for an integration the state machine never uses. A
   stand-in module takes its place; building a `batch:` task raises NotImplementedError, which names it.
   Installed only before the interpreter is first imported; `uninstall()` removes the stand-in from
   `sys.modules`, but an interpreter imported meanwhile keeps it.
8. S3 enforces the presigned POST policy. moto stores whatever a browser form posts, whatever its
   policy says; S3 refuses it. Our upload tickets rely on that refusal (exact key, the declared
   content type, 1 byte up to the kind's limit, a short expiry), so the local runtime must refuse
   what S3 refuses, with S3's codes, statuses and messages: a changed or unsigned policy
   (403 SignatureDoesNotMatch / InvalidAccessKeyId), an expired one (403 AccessDenied "Invalid
   according to Policy: Policy expired."), a field that fails its condition (403 AccessDenied
   "... Policy Condition failed: [...]"), a field the policy does not name (403 AccessDenied "...
   Extra input fields: ..."), a file outside content-length-range (400 EntityTooSmall /
   EntityTooLarge with ProposedSize and Min/MaxSizeAllowed). The signature is checked with the
   secret key of the credentials this process signs with (the only ones the local runtime has).

9. A query of the table reads its partition. moto answers a `Query` on a table's own key by sorting
   every item of the table and keeping those of the partition asked for, so each query costs time in
   proportion to everything ever written: the projections consumer reads a case's timeline for every
   new case, and in the benchmark's load run those queries grew to 100 ms each and half of all CPU. The
   patched query gives moto's own code the items of that one partition instead (the same items, in
   the same order); index queries and scans are moto's own.
10. A projection converts the item once. moto projects an item (an index's INCLUDE or KEYS_ONLY
   projection, a `ProjectionExpression`) by converting the whole item to plain JSON once per
   attribute named: the nearby index's 12 names on a 40-attribute case made each suggestion's query
   cost 20 ms. When every name is a top-level attribute (no nested path, no list index), the item is
   converted once and the names picked from it: the same item moto builds. Other paths are moto's own.
11. A response class's method names listed once. moto finds the method answering each call by listing
   every function of the response class with `inspect.getmembers` (a few hundred members) on every
   request: 3.5 % of the local runtime's CPU under load. A class's functions do not change while it
   runs, so the list is kept per class.
12. An update expression is checked with its processors' maps built once. moto checks and applies an
   `UpdateExpression` by walking its tree ten times (one processor each), and each processor rebuilt
   its map of node classes to methods for every node it visited, then the check copied the tree with
   `copy.deepcopy`: the two were most of the CPU of an `UpdateItem` (and of each update in a
   transaction), the commonest write of the stream consumers. A processor's map is fixed for the
   processor, so it is built once per processor, and the tree (nodes holding their type, children and
   parent) is copied node by node; values inside it are still copied by `copy.deepcopy`.

Patches 2-12 reach into moto's internals, so they are installed only on the moto version they were
written for (`SUPPORTED_MOTO`); on another version `install()` skips them with a warning (the runtime
stays correct, only slower) until someone checks them against the new version. Patch 1 wraps a
single, long-stable entry point and is always installed: without it the runtime is wrong, not slow.
`uninstall()` restores everything `install()` replaced. (The benchmark's timer of moto's work per
operation is not a patch: it lives with the benchmark, `scripts/bench/moto_timer.py`.)
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable
from typing import Any

#: The moto release these patches were written and tested against (pinned in constraints.txt).
SUPPORTED_MOTO = "5.2.5"
#: Distinct definitions / JSONPath expressions kept parsed (one state machine, a few dozen paths).
DEFINITION_CACHE_SIZE = 16
JSONPATH_CACHE_SIZE = 512
UPDATE_EXPRESSION_CACHE_SIZE = 512  # the code's update expressions are a few dozen fixed strings
#: moto's item size limit (DynamoDB's 400 KB, as moto measured it between 409 and 410 KB).
ITEM_SIZE_LIMIT = 405_000
#: DynamoDB operations whose answers are items, keys and counts: plain DynamoDB JSON.
ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)

#: Serialises moto: every in-process call, the embedded HTTP endpoint and the stream reader.
LOCK = threading.RLock()

#: (owner, attribute name, original value) of everything replaced, in installation order.
_replaced: list[tuple[Any, str, Any]] = []
_state = threading.Lock()


def installed() -> bool:
    return bool(_replaced)


def moto_version() -> str:
    import moto

    return str(moto.__version__)


def install() -> list[str]:
    """Install the patches (idempotent). Returns the names of the patches in place."""
    with _state:
        if _replaced:
            return patch_names()
        _serialise_calls()
        version = moto_version()
        if version == SUPPORTED_MOTO:
            _no_batch_in_the_interpreter()
            _skip_snapshot_when_conditions_hold()
            _reuse_interpreter_clients()
            _cache_parses()
            _plain_json_for_items()
            _running_item_size()
            _enforce_post_policy()
            _query_reads_its_partition()
            _project_converts_once()
            _method_names_once_per_class()
            _update_expression_processors_once()
        else:
            warnings.warn(
                f"infra/local/moto_patches.py was written for moto {SUPPORTED_MOTO}, found {version}: "
                "the transaction, client, parse and S3 POST policy patches are skipped (the local runtime "
                "stays correct but slower, and its S3 takes any browser upload). Check them against this "
                "version and update SUPPORTED_MOTO.",
                RuntimeWarning,
                stacklevel=2,
            )
        return patch_names()


def uninstall() -> None:
    """Put back everything `install()` replaced, newest first."""
    with _state:
        while _replaced:
            owner, name, original = _replaced.pop()
            if original is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        while _stand_ins:
            stand_in = _stand_ins.pop()
            if sys.modules.get(stand_in.__name__) is stand_in:
                del sys.modules[stand_in.__name__]
        _interpreter_client.cache_clear()


def patch_names() -> list[str]:
    replaced = [f"{getattr(owner, '__name__', type(owner).__name__)}.{name}" for owner, name, _ in _replaced]
    return replaced + [f"sys.modules[{stand_in.__name__!r}]" for stand_in in _stand_ins]


#: Modules put in `sys.modules` in place of moto's (patch 7).
_stand_ins: list[types.ModuleType] = []

_INHERITED = object()  # the attribute came from a base class: uninstall deletes the override


def _replace(owner: Any, name: str, value: Any) -> None:
    original = owner.__dict__.get(name, _INHERITED) if isinstance(owner, type) else getattr(owner, name)
    _replaced.append((owner, name, original))
    setattr(owner, name, value)


# --- 1. one lock -----------------------------------------------------------------------------------


def _serialise_calls() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    original: Callable[..., Any] = BotocoreStubber.__call__

    @functools.wraps(original)
    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.enabled:  # not mocking: the request goes out over HTTP, nothing to guard
            return None
        with LOCK:
            return original(self, *args, **kwargs)

    _replace(BotocoreStubber, "__call__", serialised)


# --- 2. transactions without a snapshot when nothing can fail --------------------------------------


def _skip_snapshot_when_conditions_hold() -> None:
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    real_copy = models.copy
    skip = threading.local()

    class _Copy:
        """Stands in for the `copy` module inside moto.dynamodb.models."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_copy, name)

        @staticmethod
        def deepcopy(obj: Any, memo: dict[int, Any] | None = None) -> Any:
            if getattr(skip, "active", False) and isinstance(obj, models.Table):
                return obj  # no snapshot: nothing will need rolling back
            return real_copy.deepcopy(obj, memo)

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            skip.active = _conditions_hold(models, backend, transact_items)
        except Exception:  # anything unexpected: moto's own path, with its snapshot
            skip.active = False
        try:
            original(backend, transact_items)
        finally:
            skip.active = False

    _replace(models, "copy", _Copy())
    _replace(models.DynamoDBBackend, "transact_write_items", transact_write_items)


def _conditions_hold(models: Any, backend: Any, transact_items: list[dict[str, Any]]) -> bool:
    """True when no entry of the transaction can be cancelled: known operations, each item once,
    every condition true for the item as stored now."""
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            return False
        ((op_type, op),) = entry.items()
        if op_type not in {"Put", "Update", "Delete", "ConditionCheck"}:
            return False
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], repr(sorted(key.items())))
        if identity in seen:
            return False
        seen.add(identity)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = models.get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(backend.get_item(op["TableName"], key)):
                return False
    return True


# --- 3. the interpreter's clients ------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _interpreter_client(region: str, service: str, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

    # the same settings as moto's boto_client_for; botocore clients are thread-safe
    return boto3.client(  # type: ignore[call-overload]
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        region_name=region,
        service_name=service,
        endpoint_url=endpoint,
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        ),
    )


def _reuse_interpreter_clients() -> None:
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        endpoint = None if botocore_stubber.enabled else f"http://localhost:{moto_server_port()}"
        return _interpreter_client(region, service, endpoint)

    _replace(lambda_eval_utils, "boto_client_for", boto_client_for)


# --- 4. parse caches -------------------------------------------------------------------------------


# --- 7. no AWS Batch in the Step Functions interpreter ----------------------------------------------

BATCH_INTEGRATION = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch"


def _no_batch_in_the_interpreter() -> None:
    if BATCH_INTEGRATION in sys.modules:
        return  # the interpreter (and moto's Batch) are already loaded: nothing left to save
    stand_in = types.ModuleType(
        BATCH_INTEGRATION, "Stand-in for moto's Batch integration (infra/local/moto_patches.py)"
    )

    class StateTaskServiceBatch:
        def __init__(self) -> None:
            raise NotImplementedError("the local runtime's Step Functions has no AWS Batch integration")

    stand_in.StateTaskServiceBatch = StateTaskServiceBatch  # type: ignore[attr-defined]
    sys.modules[BATCH_INTEGRATION] = stand_in
    _stand_ins.append(stand_in)


def _cache_parses() -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import json_path

    parse_definition = functools.lru_cache(maxsize=DEFINITION_CACHE_SIZE)(AmazonStateLanguageParser.parse)
    _replace(AmazonStateLanguageParser, "parse", staticmethod(parse_definition))
    _replace(json_path, "parse", functools.lru_cache(maxsize=JSONPATH_CACHE_SIZE)(json_path.parse))
    _replace(result_path, "parse", functools.lru_cache(maxsize=JSONPATH_CACHE_SIZE)(result_path.parse))
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    parse_update = functools.lru_cache(maxsize=UPDATE_EXPRESSION_CACHE_SIZE)(UpdateExpressionParser.make)
    _replace(UpdateExpressionParser, "make", staticmethod(parse_update))


# --- 5. plain JSON for item answers ----------------------------------------------------------------


class _NotPlainJson(TypeError):
    pass


def _refuse(value: Any) -> Any:
    raise _NotPlainJson(type(value).__name__)


def _plain_json_for_items() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoResult

    serialise = ActionResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in ITEM_OPERATIONS:
            return serialise(self, context)
        try:
            body = json.dumps(self.result, default=_refuse)
        except _NotPlainJson:  # bytes, dates ...: moto's serialiser knows the shapes
            return serialise(self, context)
        status, headers, _ = serialise(ActionResult({}), context)  # status and protocol headers
        return status, headers, body

    _replace(DynamoResult, "execute_result", execute_result)


# --- 6. a running item size ------------------------------------------------------------------------


def _running_item_size() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    limited = dynamo_type.LimitedSizeDict

    def size_of(value: Any) -> int:
        return int(value.size()) if type(value) is dynamo_type.DynamoType else bytesize(str(value))

    def __setitem__(self: Any, key: str, value: Any) -> None:
        running = self.__dict__.get("_running_size")
        if running is None or key in self:  # first attribute, or a replacement: measure the others now
            running = sum(size_of(k) + size_of(v) for k, v in self.items() if k != key)
        added = bytesize(key) + size_of(value)
        if running + added > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)
        self._running_size = running + added

    _replace(limited, "__setitem__", __setitem__)


# --- 8. S3 enforces the presigned POST policy ---------------------------------------------------

#: Form fields a POST policy need not name (S3's "Extra input fields" check skips them).
POLICY_EXEMPT_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
#: What every SigV4 browser upload must carry besides the policy.
SIGV4_POST_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
_S3_HOST_ID = "minyi-local"


def s3_error(status: int, code: str, message: str, **extra: str | int) -> tuple[int, dict[str, str], str]:
    """An answer in S3's XML error shape."""
    from xml.sax.saxutils import escape

    members = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{members}"
        f"<RequestId>{uuid4_hex()}</RequestId><HostId>{_S3_HOST_ID}</HostId></Error>"
    )
    return status, {"Content-Type": "application/xml"}, body


def uuid4_hex() -> str:
    import uuid

    return uuid.uuid4().hex[:16].upper()


def _known_secret(access_key_id: str) -> str | None:
    """The secret key of the credentials this process signs with (moto's while it mocks)."""
    import os

    if access_key_id and access_key_id == os.environ.get("AWS_ACCESS_KEY_ID"):
        return os.environ.get("AWS_SECRET_ACCESS_KEY")
    return None


def _sigv4_signature(secret: str, credential_scope: list[str], string_to_sign: str) -> str:
    import hashlib
    import hmac

    key = ("AWS4" + secret).encode()
    for part in credential_scope:  # date, region, service, "aws4_request"
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _policy_expired(expiration: Any, now: float) -> bool:
    from datetime import UTC, datetime

    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            moment = datetime.strptime(str(expiration), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        return moment.timestamp() <= now
    return True  # an expiration S3 cannot read: the policy is not valid


def post_policy_refusal(
    form: dict[str, str], file_size: int | None, bucket: str, now: float | None = None
) -> tuple[int, dict[str, str], str] | None:
    """What S3 answers a browser POST upload that its policy does not allow, or None to store it.

    `form` holds the form's fields (not the file), `file_size` the file's length (None: no file)."""
    import base64
    import binascii

    now = time.time() if now is None else now
    fields = {name.lower(): value for name, value in form.items()}
    policy_text = fields.get("policy")
    if not policy_text:
        return s3_error(403, "AccessDenied", "Access Denied")  # an anonymous write to a private bucket
    for name in SIGV4_POST_FIELDS:
        if not fields.get(name):
            argument = "-".join(part.capitalize() for part in name.split("-"))
            return s3_error(
                400,
                "InvalidArgument",
                f"Bucket POST must contain a field named '{argument}'.  If it is specified, please check the "
                "order of the fields.",
                ArgumentName=argument,
                ArgumentValue="",
            )
    credential = fields["x-amz-credential"].split("/")
    secret = _known_secret(credential[0])
    if secret is None:
        return s3_error(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=credential[0],
        )
    if (
        len(credential) != 5
        or fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256"
        or _sigv4_signature(secret, credential[1:], policy_text) != fields["x-amz-signature"]
    ):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key "
            "and signing method.",
            AWSAccessKeyId=credential[0],
        )
    try:
        policy = json.loads(base64.b64decode(policy_text, validate=True))
        conditions = policy["conditions"]
        if not isinstance(policy, dict) or not isinstance(conditions, list):
            raise ValueError("not a policy")
    except (ValueError, KeyError, TypeError, binascii.Error):
        return s3_error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if _policy_expired(policy.get("expiration"), now):
        return s3_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    if file_size is None:
        return s3_error(
            400,
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
            ArgumentName="file",
            ArgumentValue="0",
        )
    named: set[str] = set()
    size_range: tuple[int, int] | None = None
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, expected),) = condition.items()
            condition = ["eq", f"${name}", expected]
        if isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
            size_range = (int(condition[1]), int(condition[2]))
            continue
        if not (isinstance(condition, list) and len(condition) == 3 and str(condition[1]).startswith("$")):
            return s3_error(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
        operator, name, expected = condition[0], str(condition[1])[1:].lower(), str(condition[2])
        named.add(name)
        actual = bucket if name == "bucket" else fields.get(name)
        holds = actual is not None and (
            actual == expected if operator == "eq" else operator == "starts-with" and actual.startswith(expected)
        )
        if not holds:
            return s3_error(
                403,
                "AccessDenied",
                f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition, ensure_ascii=False)}",
            )
    extra = [
        name
        for name in form
        if name.lower() not in POLICY_EXEMPT_FIELDS | named and not name.lower().startswith("x-ignore-")
    ]
    if extra:
        return s3_error(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    if size_range is not None:
        low, high = size_range
        if file_size < low:
            return s3_error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=file_size,
                MinSizeAllowed=low,
            )
        if file_size > high:
            return s3_error(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=file_size,
                MaxSizeAllowed=high,
            )
    return None


def _enforce_post_policy() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def _bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        if str(request.headers.get("Content-Type", "")).startswith("multipart/form-data"):
            form = {name: value for name, value in self.form_data.items() if name.lower() != "file"}
            body = self.body if ("file" in request.files or "file" in self.form_data) else None
            size = None if body is None else len(body.encode() if isinstance(body, str) else body)
            refusal = post_policy_refusal(form, size, bucket_name)
            if refusal is not None:
                return refusal
        return original(self, request, bucket_name)

    _replace(S3Response, "_bucket_response_post", _bucket_response_post)


# --- 9. a query of the table reads its partition ---------------------------------------------------


def _query_reads_its_partition() -> None:
    from moto.dynamodb.models.table import Table

    original = Table.query

    @functools.wraps(original)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        if hash_key is None or kwargs.get("index_name") or (len(args) > 6 and args[6]):
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)  # `items` is a defaultdict: .get adds no empty partition

        def partition_items() -> list[Any]:
            """`Table.all_items` for this one partition: its items in moto's order."""
            if partition is None:
                return []
            found = list(partition.values()) if self.range_key_attr else [partition]
            return sorted(found, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

        self.all_items = partition_items  # moto's base-table query reads `self.all_items()` (under LOCK)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    _replace(Table, "query", query)


# --- 10. a projection converts the item once -------------------------------------------------------


def _project_converts_once() -> None:
    from moto.core.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import Item, serializer

    original = Item.project

    @functools.wraps(original)
    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = [path[0] for path in projection_expressions if len(path) == 1]
        if len(names) != len(projection_expressions) or any("[" in name for name in names):
            return original(self, projection_expressions)
        plain = self.to_regular_json()
        picked: dict[str, Any] = {}
        for name in names:  # as moto merges them (it drops a NULL attribute next to a map, say)
            if name in plain:
                merge_dicts(picked, {name: plain[name]})
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=dict(serializer.serialize(picked)["M"]))

    _replace(Item, "project", project)


# --- 11. a response class's method names listed once ------------------------------------------------


def _method_names_once_per_class() -> None:
    from moto.core import responses

    listed = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    _replace(responses, "method_names_from_class", listed)


# --- 12. update expressions: each processor's map once, the tree copied node by node --------------


def _update_expression_processors_once() -> None:
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    def processing_map(self: Any) -> dict[type, Callable[[Any], Any]]:
        mapping: dict[type, Callable[[Any], Any]] | None = self.__dict__.get("_minyi_processing_map")
        if mapping is None:
            mapping = self.__dict__["_minyi_processing_map"] = self._processing_map()
        return mapping

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        kinds: tuple[type, ...] | None = self.__dict__.get("_minyi_node_kinds")
        if kinds is None:
            kinds = self.__dict__["_minyi_node_kinds"] = tuple(processing_map(self))
        return kinds

    def process(self: Any, node: Any) -> Any:
        for kind, processor in processing_map(self).items():
            if isinstance(node, kind):
                return processor(node)
        return None

    def copy_tree(node: Any, parent: Any = None) -> Any:
        twin = object.__new__(type(node))
        state = dict(node.__dict__)
        state["parent"] = parent
        if state.get("children") is not None:
            state["children"] = [
                copy_tree(child, twin) if isinstance(child, Node) else copy.deepcopy(child)
                for child in state["children"]
            ]
        twin.__dict__.update(state)
        return twin

    def deepcopy(value: Any, memo: Any = None) -> Any:
        """`copy.deepcopy`, but a tree of nodes is copied node by node."""
        if isinstance(value, Node) and value.parent is None and set(value.__dict__) <= {"type", "children", "parent"}:
            return copy_tree(value)
        return copy.deepcopy(value, memo)

    _replace(DepthFirstTraverser, "nodes_to_be_processed", nodes_to_be_processed)
    _replace(DepthFirstTraverser, "process", process)
    _replace(validators, "deepcopy", deepcopy)
