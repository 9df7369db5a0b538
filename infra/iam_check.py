"""The IAM check: would each function's role allow every AWS call the function made?

moto cannot tell. Its IAM enforcement passes the resource "*" for every service but S3, so a policy scoped
to a table's ARN never matches there (../shared/platform-notes.md, "Where AWS is stricter than moto"), and
the emulator runs without any enforcement. A role that lacks `dynamodb:PutItem` on the cases table passes
every local test and fails its first citizen in AWS. So this module does what IAM would:

1. `CallRecorder` records, while flows run on the local stack, every AWS call each function makes, as IAM
   sees it: the action and the real resource ARN. A transaction counts as its per-item actions
   (TransactWriteItems: PutItem/UpdateItem/DeleteItem/ConditionCheckItem on each item's table), a presigned
   POST as `s3:PutObject` on the key, a presigned GET URL as `s3:GetObject` on the key (what the phone's
   request will need). The calling function is the one `infra.local.lambdas` is running in this thread;
   calls made by moto's Step Functions interpreter count against the state machine's role. Calls made
   outside both (the test harness, the local stream poller reading moto directly) are not recorded.
2. `role_policies` expands the SAM template offline with samtranslator (policy templates such as
   `AWSSecretsManagerGetSecretValuePolicy` become plain statements, as CloudFormation will deploy them),
   and resolves Ref/GetAtt/Sub/If/Join to the local resources' names and ARNs.
3. `evaluate` checks each call against its principal's statements with moto's statement matcher
   (`IAMPolicyStatement`), our own evaluation of the conditions used in the template
   (`dynamodb:LeadingKeys` from the call's partition keys), explicit Deny first, else an Allow needed.

`python -m infra.iam_check` (`make iam`) runs the flows (tests/integration/test_iam.py) and exits non-zero
naming each function, action and resource IAM would deny.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from infra.local.template import ACCOUNT, Template

#: Managed policies SAM attaches to function roles, as far as the calls we record could need them
#: (AWS's published documents, trimmed to their statements). Others count as granting nothing.
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}

#: botocore operation -> IAM action, where the two differ (otherwise `<signing name>:<operation>`).
ACTION_NAMES: dict[tuple[str, str], str] = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
}

#: One item of TransactWriteItems / TransactGetItems -> the action IAM checks for it.
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}

#: The condition keys this check can evaluate; any other in a role policy fails the check loudly.
LEADING_KEYS = "dynamodb:LeadingKeys"


class Verdict(Enum):
    ALLOWED = "allowed"
    IMPLICITLY_DENIED = "no statement allows it"
    EXPLICITLY_DENIED = "a statement denies it"
    NO_ROLE = "the principal has no role in the template"


@dataclass(frozen=True, order=True)
class Call:
    """One AWS call as IAM authorises it."""

    principal: str  # a function's (or the state machine's) logical id
    action: str  # dynamodb:PutItem
    resource: str  # arn:aws:dynamodb:ap-east-1:123456789012:table/minyi-local-CasesTable
    leading_keys: tuple[str, ...] = ()  # the partition key values it touches (DynamoDB)

    def __str__(self) -> str:
        keys = f" (partition keys {', '.join(self.leading_keys)})" if self.leading_keys else ""
        return f"{self.principal}: {self.action} on {self.resource}{keys}"


@dataclass(frozen=True)
class Denial:
    call: Call
    verdict: Verdict

    def __str__(self) -> str:
        return f"DENIED {self.call} - {self.verdict.value}"


# --- recording --------------------------------------------------------------------------------------


@dataclass
class CallRecorder:
    """Records the calls made while it is active (`with recorder.recording(): ...`)."""

    template: Template
    current_function: Callable[[], str | None]
    calls: set[Call] = field(default_factory=set)
    #: calls made outside any function and outside the state machine (the harness), by operation
    unattributed: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._hash_keys = {
            self.template.physical_name(lid): _hash_keys(res["Properties"])
            for lid, res in self.template.of_type("AWS::DynamoDB::Table").items()
        }
        machines = list(self.template.of_type("AWS::Serverless::StateMachine"))
        self._state_machine = machines[0] if len(machines) == 1 else None

    @contextlib.contextmanager
    def recording(self) -> Iterator[CallRecorder]:
        global _ACTIVE
        install_hooks()
        _ACTIVE = self
        try:
            yield self
        finally:
            _ACTIVE = None

    def principal(self) -> str | None:
        name = self.current_function()
        if name is not None:
            return name
        if self._state_machine is not None and _called_from_state_machine():
            return self._state_machine
        return None

    def add(self, service: str, operation: str, params: dict[str, Any]) -> None:
        principal = self.principal()
        if principal is None:
            with self._lock:
                self.unattributed.add(f"{service}:{operation}")
            return
        found = [
            Call(principal, action, resource, keys)
            for action, resource, keys in self.iam_view(service, operation, params)
        ]
        with self._lock:
            self.calls.update(found)

    # the IAM view of one call: [(action, resource, leading keys)]
    def iam_view(self, service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
        region, account = self.template.region, ACCOUNT
        action = ACTION_NAMES.get((service, operation), f"{service}:{operation}")
        if service == "dynamodb":
            return self._dynamodb(operation, action, params)
        if service == "s3":
            bucket = params.get("Bucket", "")
            if operation == "CopyObject":
                source = params["CopySource"]
                source_arn = (
                    f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"
                    if isinstance(source, dict)
                    else f"arn:aws:s3:::{str(source).lstrip('/').split('?')[0]}"
                )
                return [
                    ("s3:GetObject", source_arn, ()),
                    ("s3:PutObject", f"arn:aws:s3:::{bucket}/{params['Key']}", ()),
                ]
            if "Key" in params:
                return [(action, f"arn:aws:s3:::{bucket}/{params['Key']}", ())]
            return [(action, f"arn:aws:s3:::{bucket}", ())]
        if service == "states":
            if "stateMachineArn" in params:
                return [(action, params["stateMachineArn"], ())]
            if "executionArn" in params:
                return [(action, params["executionArn"], ())]
            if "taskToken" in params and self._state_machine is not None:
                # a task token names no resource; the template has one state machine that issues them
                return [(action, self.template.arn(self._state_machine), ())]
            return [(action, "*", ())]
        if service == "lambda":
            name = str(params.get("FunctionName", ""))
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
            return [(action, arn, ())]
        if service == "sns":
            target = params.get("TopicArn") or params.get("TargetArn")
            return [(action, target or "*", ())]  # SMS to a phone number: no resource
        if service == "secretsmanager":
            return [(action, secret_arn(str(params.get("SecretId", "")), region), ())]
        if service == "cognito-idp":
            pool = params.get("UserPoolId")
            return [(action, f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}" if pool else "*", ())]
        if service == "sqs":
            url = str(params.get("QueueUrl", ""))
            return [
                (action, f"arn:aws:sqs:{region}:{account}:{url.rstrip('/').rsplit('/', 1)[-1]}" if url else "*", ())
            ]
        if service == "kms":
            key = str(params.get("KeyId", ""))
            arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}" if key else "*"
            return [(action, arn, ())]
        return [(action, "*", ())]

    def _dynamodb(self, operation: str, action: str, params: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
        if operation in {"TransactWriteItems", "TransactGetItems"}:
            out = []
            for item in params.get("TransactItems", []):
                ((kind, body),) = item.items()
                table = body["TableName"]
                out.append((TRANSACT_ITEM_ACTIONS[kind], self._table_arn(table), self._keys_of(table, body)))
            return out
        if operation in {"BatchWriteItem", "BatchGetItem"}:
            out = []
            for table, requests in params.get("RequestItems", {}).items():
                items = (
                    requests if isinstance(requests, list) else [{"Get": {"Key": k}} for k in requests.get("Keys", [])]
                )
                keys: set[str] = set()
                for request in items:
                    for body in request.values():
                        keys.update(self._keys_of(table, body))
                out.append((action, self._table_arn(table), tuple(sorted(keys))))
            return out
        table = params.get("TableName", "")
        resource = self._table_arn(table)
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        if operation == "Query":
            return [(action, resource, self._query_key(table, params))]
        return [(action, resource, self._keys_of(table, params))]

    def _table_arn(self, table: str) -> str:
        return table if table.startswith("arn:") else f"arn:aws:dynamodb:{self.template.region}:{ACCOUNT}:table/{table}"

    def _keys_of(self, table: str, body: dict[str, Any]) -> tuple[str, ...]:
        item = body.get("Key") or body.get("Item") or {}
        hash_key = self._hash_keys.get(table, {}).get("")
        value = item.get(hash_key) if hash_key else None
        return (_scalar(value),) if value is not None else ()

    def _query_key(self, table: str, params: dict[str, Any]) -> tuple[str, ...]:
        hash_key = self._hash_keys.get(table, {}).get(params.get("IndexName") or "")
        names = params.get("ExpressionAttributeNames", {})
        values = params.get("ExpressionAttributeValues", {})
        for name, placeholder in re.findall(r"(#?\w+)\s*=\s*(:\w+)", str(params.get("KeyConditionExpression", ""))):
            if names.get(name, name) == hash_key and placeholder in values:
                return (_scalar(values[placeholder]),)
        return ()


def _hash_keys(props: dict[str, Any]) -> dict[str, str]:
    """'' -> the table's partition key; index name -> the index's."""

    def hash_of(schema: list[dict[str, str]]) -> str:
        return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

    keys = {"": hash_of(props["KeySchema"])}
    for index in props.get("GlobalSecondaryIndexes", []):
        keys[index["IndexName"]] = hash_of(index["KeySchema"])
    return keys


def _scalar(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)


def secret_arn(secret_id: str, region: str) -> str:
    """A secret's ARN without the random suffix AWS adds (the policy's `!Ref` resolves the same way here)."""
    if secret_id.startswith("arn:"):
        return re.sub(r"-[A-Za-z0-9]{6}$", "", secret_id)
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret_id}"


def _called_from_state_machine() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if "moto/stepfunctions" in frame.f_code.co_filename.replace("\\", "/"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


_ACTIVE: CallRecorder | None = None
_HOOKS_INSTALLED = False


def install_hooks() -> None:
    """botocore hooks for every client created from now on (they do nothing while no recorder is active)."""
    global _HOOKS_INSTALLED
    if _HOOKS_INSTALLED:
        return
    _HOOKS_INSTALLED = True
    import botocore.handlers

    def on_params(params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
        recorder = _ACTIVE
        if recorder is None:
            return
        if model.name == "CreateBucket" and (context or {}).get("is_presign_request"):
            return  # botocore builds a presigned POST on CreateBucket's model; on_presign_post records it
        service = model.service_model.signing_name or model.service_model.endpoint_prefix
        recorder.add(service, model.name, params)

    def on_presign_post(request: Any, signature_version: str | None = None, **_: Any) -> None:
        recorder = _ACTIVE
        if recorder is None or "presign-post" not in str(signature_version):
            return
        fields = request.context.get("s3-presign-post-fields", {})
        conditions = request.context.get("s3-presign-post-policy", {}).get("conditions", [])
        bucket = next((c["bucket"] for c in conditions if isinstance(c, dict) and "bucket" in c), "")
        recorder.add("s3", "PutObject", {"Bucket": bucket, "Key": fields.get("key", "")})

    botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", on_params))
    botocore.handlers.BUILTIN_HANDLERS.append(("before-sign.s3.PutObject", on_presign_post))


# --- the policies ------------------------------------------------------------------------------------


def transformed_template(raw: dict[str, Any], region: str) -> dict[str, Any]:
    """The SAM template as CloudFormation gets it (samtranslator, offline). Local code locations become
    S3 URIs (samtranslator wants them there); Api events go, they add no role policy and cost seconds."""
    import os

    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    doc = copy.deepcopy(raw)
    for res in doc["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://local-artifacts/{props[key]}"
        events = props.get("Events")
        if res["Type"] == "AWS::Serverless::Function" and isinstance(events, dict):
            for name in [n for n, e in events.items() if e.get("Type") == "Api"]:
                del events[name]

    class NoManagedPolicies:  # policies are never given by name in this template
        def load(self) -> dict[str, str]:
            return {}

    return transform(doc, {}, NoManagedPolicies())  # type: ignore[no-any-return]


class Resolver:
    """Ref / GetAtt / Sub / If / Join / Select in the transformed template, to local names and ARNs."""

    def __init__(self, template: Template, transformed: dict[str, Any], resources: dict[str, str]):
        self.template = template
        self.transformed = transformed
        self.resources = resources  # logical id -> what the local stack made (user pool ids, queue urls)
        self.conditions: dict[str, bool] = {}
        self._condition_defs = transformed.get("Conditions", {})

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self._condition_defs[name]))
        return self.conditions[name]

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        kind = self.template.resources.get(name, self.transformed["Resources"].get(name, {})).get("Type", "")
        if kind == "AWS::SecretsManager::Secret":
            return secret_arn(self.template.physical_name(name), self.template.region)
        if kind == "AWS::Cognito::UserPool":
            return self.resources.get(name, f"local-{name}")
        return self.template.resolve({"Ref": name})

    def get_att(self, name: str, attr: str) -> Any:
        kind = self.template.resources.get(name, self.transformed["Resources"].get(name, {})).get("Type", "")
        region = self.template.region
        if kind == "AWS::Cognito::UserPool" and attr == "Arn":
            return f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{self.ref(name)}"
        if kind == "AWS::KMS::Key" and attr == "Arn":
            key = str(self.resources.get(name, name))  # a key id, or the local key's whole ARN
            return key if key.startswith("arn:") else f"arn:aws:kms:{region}:{ACCOUNT}:key/{key}"
        if kind == "AWS::Logs::LogGroup" and attr == "Arn":
            return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}:*"
        if kind in {"AWS::SQS::Queue"} and attr == "Arn":
            return f"arn:aws:sqs:{region}:{ACCOUNT}:{self.template.physical_name(name)}"
        if kind == "AWS::DynamoDB::Table" and attr == "StreamArn":
            return f"{self.template.arn(name)}/stream/*"
        return self.template.resolve({"Fn::GetAtt": [name, attr]})

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attr = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(name, attr)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub_var(m.group(1), variables)), text)
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(arg))
            if key == "Fn::Or":
                return any(self.resolve(arg))
            if key == "Condition":
                return self.condition(arg)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}

    def _sub_var(self, name: str, variables: dict[str, Any]) -> Any:
        if name in variables:
            return variables[name]
        if "." in name:
            logical_id, attr = name.split(".", 1)
            return self.get_att(logical_id, attr)
        return self.ref(name)


_NO_VALUE = object()


def role_policies(
    template: Template, resources: dict[str, str] | None = None, raw: dict[str, Any] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Each function's and state machine's logical id -> the statements of its role (inline policies and
    the managed ones in MANAGED_POLICIES), resolved to local names. `raw`: a (changed) copy of the template."""
    transformed = transformed_template(raw if raw is not None else template.raw, template.region)
    resolver = Resolver(template, transformed, resources or {})
    out: dict[str, list[dict[str, Any]]] = {}
    for logical_id, res in transformed["Resources"].items():
        if res["Type"] not in {"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"}:
            continue
        role_ref = res["Properties"].get("Role") or res["Properties"].get("RoleArn")
        role_id = role_ref.get("Fn::GetAtt", [None])[0] if isinstance(role_ref, dict) else None
        role = transformed["Resources"].get(role_id or "", {}).get("Properties", {})
        statements: list[dict[str, Any]] = []
        for policy in resolver.resolve(role.get("Policies", [])):
            document = policy["PolicyDocument"]
            found = document["Statement"]
            statements += found if isinstance(found, list) else [found]
        for arn in resolver.resolve(role.get("ManagedPolicyArns", [])):
            statements += MANAGED_POLICIES.get(str(arn).rsplit("/", 1)[-1], [])
        out[logical_id] = statements
    return out


# --- evaluation --------------------------------------------------------------------------------------


class UnsupportedCondition(ValueError):
    """A role policy uses a condition this check cannot evaluate (extend `_condition_holds`)."""


def _condition_holds(condition: dict[str, Any], call: Call) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key != LEADING_KEYS:
                raise UnsupportedCondition(f"{operator} on {key}")
            patterns = expected if isinstance(expected, list) else [expected]
            like = operator.endswith("StringLike")
            if operator.split(":")[-1] not in {"StringEquals", "StringLike"}:
                raise UnsupportedCondition(operator)

            def matches(value: str, like: bool = like, patterns: list[Any] = patterns) -> bool:
                return any(
                    re.fullmatch(re.escape(str(p)).replace(r"\*", ".*").replace(r"\?", "."), value)
                    if like
                    else value == str(p)
                    for p in patterns
                )

            values = call.leading_keys
            if operator.startswith("ForAnyValue:"):
                if not any(matches(v) for v in values):
                    return False
            elif operator.startswith("ForAllValues:"):
                if not all(matches(v) for v in values):  # an empty set passes, as in IAM
                    return False
            elif len(values) != 1 or not matches(values[0]):
                return False
    return True


def evaluate(calls: set[Call] | list[Call], policies: dict[str, list[dict[str, Any]]]) -> list[Denial]:
    """Every call its principal's statements would not allow, in a stable order."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    denials = []
    for call in sorted(set(calls)):
        statements = policies.get(call.principal)
        if statements is None:
            denials.append(Denial(call, Verdict.NO_ROLE))
            continue
        allowed = denied = False
        for statement in statements:
            plain = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(plain).is_action_permitted(call.action, call.resource)
            if result == PermissionResult.NEUTRAL:
                continue
            if "Condition" in statement and not _condition_holds(statement["Condition"], call):
                continue
            if statement["Effect"] == "Deny":
                denied = True
            else:
                allowed = True
        if denied:
            denials.append(Denial(call, Verdict.EXPLICITLY_DENIED))
        elif not allowed:
            denials.append(Denial(call, Verdict.IMPLICITLY_DENIED))
    return denials


def report(calls: set[Call], denials: list[Denial]) -> str:
    principals = sorted({c.principal for c in calls})
    lines = [f"IAM check: {len(calls)} distinct calls by {len(principals)} principals ({', '.join(principals)})"]
    lines += [str(d) for d in denials] or ["every call is allowed by its role"]
    return "\n".join(lines)


def save(calls: set[Call], path: Path) -> None:
    path.write_text(
        json.dumps([c.__dict__ | {"leading_keys": list(c.leading_keys)} for c in sorted(calls)], indent=1),
        encoding="utf-8",
    )


def main() -> int:
    """`make iam`: the flows of tests/integration/test_iam.py, recorded and checked."""
    import pytest

    return int(pytest.main(["-q", "-p", "no:cacheprovider", "tests/integration/test_iam.py", "-rA"]))


if __name__ == "__main__":
    raise SystemExit(main())
