"""Policy checks on template.yaml (issue 9): what a deployed stack must be, checked on every change.

No literal partition (the stack and the workflow deploy to aws-cn too), least privilege (no wildcard
actions, no Scan, deletes only where the code deletes), every function with its own log group and
alarms, every metric an alarm or the dashboard names exists in `minyi.domain.metrics.Metric`, tags on
every resource that takes them, and every checkov skip with its reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.template import load_template
from minyi.domain.metrics import Metric

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TEXT = (ROOT / "template.yaml").read_text(encoding="utf-8")
ASL = ROOT / "infra" / "statemachine" / "case_workflow.asl.json"
T = load_template()
RESOURCES: dict[str, Any] = T["Resources"]


def of_type(*types: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] in types}


FUNCTIONS = of_type("AWS::Serverless::Function", "AWS::Lambda::Function")
SERVERLESS = of_type("AWS::Serverless::Function")


def walk(value: Any):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- partition ---------------------------------------------------------------------------------------


def test_no_literal_partition_in_the_template_or_the_workflow() -> None:
    assert "arn:aws:" not in TEMPLATE_TEXT, "use arn:${AWS::Partition}:"
    assert "arn:aws:" not in ASL.read_text(encoding="utf-8"), "use arn:${Partition}: (DefinitionSubstitutions)"
    substitutions = RESOURCES["CaseWorkflow"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["Partition"] == {"Ref": "AWS::Partition"}


def test_the_local_runtime_substitutes_the_partition() -> None:
    from infra.local.template import Template

    _, definition = Template("ap-east-1").state_machine("CaseWorkflow")
    assert "${" not in definition
    resources = [state.get("Resource") for state in json.loads(definition)["States"].values()]
    assert all(r.startswith("arn:aws:states:::") for r in resources if r)


# --- IAM ---------------------------------------------------------------------------------------------

#: Actions that have no resource-level permissions (or whose resource is a phone number).
RESOURCE_STAR_OK = {
    "sns:Publish",  # SMS to phone numbers have no ARN
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def identity_statements() -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement of the stack's identity policies (functions, state machines, roles)."""
    found = []
    for name, res in RESOURCES.items():
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            for policy in as_list(props.get("Policies", [])):
                for doc in walk(policy):
                    if isinstance(doc, dict) and "Statement" in doc and isinstance(doc["Statement"], list):
                        found += [(name, st) for st in doc["Statement"] if isinstance(st, dict)]
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += [(name, st) for st in policy["PolicyDocument"]["Statement"]]
    return [(n, st) for n, st in found if st.get("Effect") == "Allow"]


def test_no_wildcard_actions_and_resource_star_only_where_nothing_else_exists() -> None:
    statements = identity_statements()
    assert len(statements) > 10
    for name, st in statements:
        actions = as_list(st["Action"])
        wild = [a for a in actions if "*" in a]
        assert not wild, f"{name}: wildcard actions {wild}"
        if st.get("Resource") == "*":
            assert set(actions) <= RESOURCE_STAR_OK, f"{name}: {actions} on every resource"


def _translated() -> dict[str, Any]:
    """The template as CloudFormation gets it from the SAM transform (offline), so the roles SAM writes
    for functions and state machines, policy templates and event sources included, are checked too."""
    import copy
    import os

    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = copy.deepcopy(T)
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = "s3://bucket/function.zip"
        elif res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://bucket/layer.zip"
        elif res["Type"] == "AWS::Serverless::StateMachine":
            props.pop("DefinitionUri", None)
            props["Definition"] = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
    return dict(transform(template, {}, NoManagedPolicies()))


def test_no_role_the_stack_makes_allows_wildcard_actions() -> None:
    resources = _translated()["Resources"]
    roles = {k: v for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"}
    assert len(roles) >= len(SERVERLESS)
    for name, role in roles.items():
        for policy in walk(role["Properties"].get("Policies", [])):
            if not (isinstance(policy, dict) and "PolicyDocument" in policy):
                continue
            for st in as_list(policy["PolicyDocument"]["Statement"]):
                if st.get("Effect") != "Allow":
                    continue
                actions = as_list(st["Action"])
                assert not [a for a in actions if "*" in a], f"{name}: {actions}"
                if st.get("Resource") == "*":
                    assert set(actions) <= RESOURCE_STAR_OK, f"{name}: {actions} on every resource"


def test_no_crud_policy_templates_on_the_table() -> None:
    for name, res in SERVERLESS.items():
        for policy in as_list(res["Properties"].get("Policies", [])):
            if isinstance(policy, dict):
                assert "DynamoDBCrudPolicy" not in policy, f"{name}: explicit DynamoDB actions instead"
                assert "DynamoDBReadPolicy" not in policy, f"{name}: explicit DynamoDB actions instead"


def dynamodb_actions(name: str) -> set[str]:
    return {
        a for n, st in identity_statements() if n == name for a in as_list(st["Action"]) if a.startswith("dynamodb:")
    }


#: Where the code deletes: Open311 forgets a failed submission's claim; the catalogue replaces its
#: items; Powertools idempotency deletes the record of a failed submission (IdempotencyTable only).
DELETERS = {"Open311Function", "CatalogAdminFunction", "SubmitFunction"}


@pytest.mark.parametrize("name", sorted(SERVERLESS))
def test_dynamodb_access_is_explicit_and_minimal(name: str) -> None:
    actions = dynamodb_actions(name)
    assert "dynamodb:Scan" not in actions
    if name not in DELETERS:
        assert "dynamodb:DeleteItem" not in actions
    if name != "CatalogAdminFunction":
        assert "dynamodb:BatchWriteItem" not in actions


def test_submit_deletes_only_idempotency_records() -> None:
    for name, st in identity_statements():
        if name == "SubmitFunction" and "dynamodb:DeleteItem" in as_list(st["Action"]):
            assert st["Resource"] == {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}


def test_stats_reads_only_counters_and_the_catalogue() -> None:
    statements = [st for n, st in identity_statements() if n == "StatsFunction"]
    table = [st for st in statements if any(a.startswith("dynamodb:") for a in as_list(st["Action"]))]
    assert table
    for st in table:
        assert set(as_list(st["Action"])) <= {"dynamodb:GetItem", "dynamodb:Query"}
        keys = st["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        # counters: the scoreboard's and the hotspots' (HOT#, HOTCELL#; issue 18), never a case
        assert all(k.startswith("STATS#") or k in ("CATALOG", "ACCOUNT#*", "HOT#*", "HOTCELL#*") for k in keys), keys


def _reads_account_status(st: dict[str, Any]) -> bool:
    if "dynamodb:GetItem" not in as_list(st["Action"]):
        return False
    if {"Fn::GetAtt": ["CasesTable", "Arn"]} not in as_list(st["Resource"]):
        return False
    condition = st.get("Condition")
    if condition is None:
        return True
    keys = as_list(condition.get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys", []))
    return "ACCOUNT#*" in keys


def _authenticating_functions() -> list[str]:
    """Functions whose handler asks for the signed-in caller (`minyi.api.http.caller`)."""
    names = []
    for name, res in SERVERLESS.items():
        props = res["Properties"]
        code = ROOT / props["CodeUri"] / f"{props['Handler'].rsplit('.', 1)[0]}.py"
        if code.exists() and "caller(app)" in code.read_text(encoding="utf-8"):
            names.append(name)
    return sorted(names)


def test_every_function_that_authenticates_staff_may_read_account_statuses() -> None:
    # Given the functions whose routes take a signed-in caller (each checks a staff caller's status)
    names = _authenticating_functions()
    assert {"CasesFunction", "AccountsFunction", "StatsFunction", "CatalogAdminFunction"} <= set(names)
    # Then each may GetItem ACCOUNT#<username> on the table (else a disabled check would be a 500)
    for name in names:
        assert any(_reads_account_status(st) for n, st in identity_statements() if n == name), name


def test_staff_tokens_last_fifteen_minutes_and_refresh() -> None:
    client = RESOURCES["StaffUserPoolClient"]["Properties"]
    assert client["IdTokenValidity"] == 15 and client["AccessTokenValidity"] == 15
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert "ALLOW_REFRESH_TOKEN_AUTH" in client["ExplicitAuthFlows"]


# --- logs, runtime, build ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_logs_to_its_own_group_with_retention(name: str) -> None:
    config = FUNCTIONS[name]["Properties"].get("LoggingConfig", {})
    group = config.get("LogGroup")
    assert isinstance(group, dict) and "Ref" in group, f"{name}: LoggingConfig.LogGroup: !Ref <its log group>"
    log_group = RESOURCES[group["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert "RetentionInDays" in log_group["Properties"]
    assert "KmsKeyId" in log_group["Properties"]


def test_every_log_group_has_retention() -> None:
    for name, res in of_type("AWS::Logs::LogGroup").items():
        assert "RetentionInDays" in res["Properties"], name


def test_runtime_is_python_313_built_by_make() -> None:
    assert T["Globals"]["Function"]["Runtime"] == "python3.13"
    for name, res in SERVERLESS.items():
        assert res["Properties"].get("Runtime", "python3.13") == "python3.13", name
        assert res.get("Metadata", {}).get("BuildMethod") == "makefile", f"{name}: functions/Makefile builds it"
    layer = RESOURCES["MinyiLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"


def test_the_sweep_runs_alone_and_keeps_its_failures() -> None:
    props = RESOURCES["SweepFunction"]["Properties"]
    # alone by a lease in the table (tests/integration/test_sweep_lease.py), never reserved concurrency
    assert "ReservedConcurrentExecutions" not in props
    assert "SWEEP_LEASE_SECONDS" in props["Environment"]["Variables"]
    destination = props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert destination["Type"] == "SQS"


# --- API and data ------------------------------------------------------------------------------------


def test_the_api_is_regional_logged_and_has_no_implicit_stage() -> None:
    assert T["Globals"]["Api"]["OpenApiVersion"]
    assert T["Globals"]["Api"]["EndpointConfiguration"] == {"Type": "REGIONAL"}
    api = RESOURCES["Api"]
    assert api["Properties"]["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert api["DependsOn"] == "ApiGatewayAccount"
    assert "CloudWatchRoleArn" in RESOURCES["ApiGatewayAccount"]["Properties"]


def test_the_waf_limits_tracking_tighter_and_can_be_switched_off() -> None:
    acl = RESOURCES["ApiWebAcl"]
    assert acl["Condition"] == "WafEnabled"
    assert RESOURCES["ApiWebAclAssociation"]["Condition"] == "WafEnabled"
    rules = {
        r["Name"]: r["Statement"]["RateBasedStatement"]
        for r in acl["Properties"]["Rules"]
        if "RateBasedStatement" in r["Statement"]
    }
    # per client (the viewer address CloudFront forwards) and per connecting IP (direct callers, floods)
    track = rules["track-per-client"]
    assert track["Limit"] == {"Ref": "WafTrackRateLimit"}
    assert track["AggregateKeyType"] == "FORWARDED_IP"
    assert track["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/v1/track/"
    assert rules["track-per-ip"]["ScopeDownStatement"] == track["ScopeDownStatement"]
    assert rules["api-per-client"]["Limit"] == {"Ref": "WafRateLimit"}
    assert rules["api-per-ip"]["Limit"] == {"Ref": "WafIpRateLimit"}
    assert "ScopeDownStatement" not in rules["api-per-client"]
    assert "ScopeDownStatement" not in rules["api-per-ip"]
    defaults = {
        name: T["Parameters"][name]["Default"] for name in ("WafTrackRateLimit", "WafRateLimit", "WafIpRateLimit")
    }
    assert defaults["WafTrackRateLimit"] < defaults["WafRateLimit"] < defaults["WafIpRateLimit"]


def test_data_is_kept() -> None:
    assert RESOURCES["CasesTable"]["Properties"]["DeletionProtectionEnabled"] is True
    bucket = RESOURCES["AttachmentsBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any("NoncurrentVersionExpiration" in r for r in rules)
    for rule in bucket["CorsConfiguration"]["CorsRules"]:
        assert rule["AllowedOrigins"] == {"Ref": "WebOrigins"}


# --- alarms ------------------------------------------------------------------------------------------


def alarms() -> dict[str, dict[str, Any]]:
    return of_type("AWS::CloudWatch::Alarm")


def alarm_metrics() -> list[tuple[str, str, Any]]:
    """(namespace, metric name, dimensions) of every alarm, metric math included."""
    found = []
    for res in alarms().values():
        props = res["Properties"]
        if "MetricName" in props:
            found.append((props["Namespace"], props["MetricName"], props.get("Dimensions", [])))
        for query in props.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric")
            if metric:
                found.append((metric["Namespace"], metric["MetricName"], metric.get("Dimensions", [])))
    return found


def test_every_minyi_metric_the_template_names_exists() -> None:
    names = {name for namespace, name, _ in alarm_metrics() if namespace == "Minyi"}
    # the dashboard's widgets too
    names |= set(re.findall(r'\["Minyi", "(\w+)"', TEMPLATE_TEXT))
    assert names, "the template names no Minyi metric"
    known = {m.value for m in Metric}
    assert names <= known, f"not in minyi.domain.metrics.Metric: {sorted(names - known)}"


def test_alarms_reach_people() -> None:
    topic = RESOURCES["AlarmTopic"]["Properties"]
    key = topic["KmsMasterKeyId"]
    assert key == {"Ref": "OperationsKey"}, "CloudWatch cannot publish to a topic under the AWS managed SNS key"
    statements = RESOURCES["OperationsKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(st.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com" for st in statements)
    subscription = RESOURCES["AlarmSubscription"]["Properties"]
    assert subscription["Endpoint"] == {"Ref": "AlarmEndpoint"}
    for name, res in alarms().items():
        assert res["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_error_and_throttle_alarms(name: str) -> None:
    watched = {(metric, str(dims)) for ns, metric, dims in alarm_metrics() if ns == "AWS/Lambda"}
    dims = str([{"Name": "FunctionName", "Value": {"Ref": name}}])
    assert ("Errors", dims) in watched, name
    assert ("Throttles", dims) in watched, name


def test_streams_queues_workflow_api_sms_and_sweep_are_alarmed() -> None:
    metrics = alarm_metrics()
    by_name = {(ns, m) for ns, m, _ in metrics}
    stream_functions = [
        n
        for n, r in SERVERLESS.items()
        if any(e["Type"] == "DynamoDB" for e in r["Properties"].get("Events", {}).values())
    ]
    for name in stream_functions:
        assert ("IteratorAge", str([{"Name": "FunctionName", "Value": {"Ref": name}}])) in {
            (m, str(d)) for _, m, d in metrics
        }, name
    queues = {str(d) for ns, m, d in metrics if m == "ApproximateNumberOfMessagesVisible"}
    for queue in of_type("AWS::SQS::Queue"):
        assert str([{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]) in queues, queue
    assert ("AWS/States", "ExecutionsFailed") in by_name
    assert ("AWS/ApiGateway", "5XXError") in by_name
    assert ("AWS/ApiGateway", "Latency") in by_name
    assert ("Minyi", "SmsFailures") in by_name
    assert ("Minyi", "SmsSegments") in by_name
    not_running = alarms()["SweepNotRunningAlarm"]["Properties"]
    assert not_running["MetricName"] == "Invocations" and not_running["TreatMissingData"] == "breaching"


# --- tags and checkov --------------------------------------------------------------------------------

#: Resource types of this template that take tags, and how (SAM resources get theirs from Globals).
TAGGED_LIST = {
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::WAFv2::WebACL",
    "AWS::SecretsManager::Secret",
    "AWS::SMSVOICE::ProtectConfiguration",
    "AWS::CloudWatch::Alarm",
    "AWS::IAM::Role",
    "AWS::CloudFront::Distribution",
    "AWS::Lambda::Function",
}


def test_every_taggable_resource_is_tagged() -> None:
    assert T["Globals"]["Function"]["Tags"]["project"] == "minyi"
    assert RESOURCES["Api"]["Properties"]["Tags"]["project"] == "minyi"
    assert RESOURCES["CaseWorkflow"]["Properties"]["Tags"]["project"] == "minyi"
    untagged = []
    for name, res in RESOURCES.items():
        if res["Type"] in TAGGED_LIST:
            tags = res["Properties"].get("Tags", [])
            if not any(t.get("Key") == "project" for t in tags if isinstance(t, dict)):
                untagged.append(name)
    for name, res in of_type("AWS::Cognito::UserPool").items():
        if res["Properties"].get("UserPoolTags", {}).get("project") != "minyi":
            untagged.append(name)
    # what takes no tags in CloudFormation gets the stack's tags where it can (samconfig.toml `tags`)
    assert not untagged, untagged


def test_every_checkov_skip_says_why() -> None:
    for name, res in RESOURCES.items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
            assert len(str(skip.get("comment", "")).strip()) > 20, f"{name}: {skip['id']} needs its reason"
