"""template.yaml against the code: what each function is given is what its settings class reads, and
every business metric an alarm or the dashboard names is one the code emits (minyi.domain.metrics).

A renamed variable or metric that is not renamed in both places fails here, not in a deployment.
Pure: reads template.yaml with a YAML loader that keeps CloudFormation's short tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from minyi.config import FUNCTION_SETTINGS, EnvSettings
from minyi.domain.metrics import Metric

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
NAMESPACE = "Minyi"


class CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub, !GetAtt, !If... as {"Ref": ...} / {"Fn::Sub": ...} instead of failing."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


CloudFormationLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    with TEMPLATE.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=CloudFormationLoader)
    return loaded


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def environment(template: dict[str, Any], name: str) -> dict[str, Any]:
    """The variables a function gets: the Globals' and its own."""
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = functions(template)[name].get("Properties", {}).get("Environment", {}).get("Variables", {})
    return {**globals_env, **own}


def variables_read(settings: type[EnvSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def required_variables(settings: type[EnvSettings]) -> set[str]:
    return {name.upper() for name, f in settings.model_fields.items() if f.is_required()}


def test_every_function_of_the_template_has_its_settings_class(template: dict[str, Any]) -> None:
    assert set(functions(template)) == set(FUNCTION_SETTINGS)


def test_every_variable_a_function_is_given_is_read_by_its_settings(template: dict[str, Any]) -> None:
    # Given each function's environment in the template (POWERTOOLS_* configure the library itself)
    unread = {
        name: sorted(
            var
            for var in environment(template, name)
            if not var.startswith("POWERTOOLS_") and var not in variables_read(FUNCTION_SETTINGS[name])
        )
        for name in functions(template)
    }
    # Then its settings class validates every one of them (nothing is set that no code reads)
    assert {name: vars_ for name, vars_ in unread.items() if vars_} == {}


def test_every_required_setting_is_set_by_the_template(template: dict[str, Any]) -> None:
    missing = {
        name: sorted(required_variables(settings) - set(environment(template, name)))
        for name, settings in FUNCTION_SETTINGS.items()
    }
    assert {name: vars_ for name, vars_ in missing.items() if vars_} == {}


def _metric_names(node: Any, found: set[str]) -> None:
    """MetricName under Namespace Minyi (alarms), and ["Minyi", "<name>", ...] in dashboard bodies."""
    if isinstance(node, dict):
        if node.get("Namespace") == NAMESPACE and isinstance(node.get("MetricName"), str):
            found.add(node["MetricName"])
        for value in node.values():
            _metric_names(value, found)
    elif isinstance(node, list):
        for value in node:
            _metric_names(value, found)
    elif isinstance(node, str):
        found.update(re.findall(rf'\[\s*"{NAMESPACE}"\s*,\s*"(\w+)"', node))


def test_every_business_metric_the_template_names_is_emitted_by_the_code(template: dict[str, Any]) -> None:
    # Given every metric of the Minyi namespace an alarm or the dashboard refers to
    names: set[str] = set()
    _metric_names(template["Resources"], names)
    assert names, "the template refers to business metrics"
    # Then each is a name the code emits
    assert sorted(names - {m.value for m in Metric}) == []


def test_the_metric_scan_reads_alarms_and_dashboards() -> None:
    found: set[str] = set()
    alarm = {"Properties": {"Namespace": "Minyi", "MetricName": "SlaBreaches"}}
    other = {"Properties": {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible"}}
    dashboard = {"Fn::Sub": '{"metrics": [["Minyi", "CasesSubmitted", "service", "submit"], ["AWS/States", "X"]]}'}
    _metric_names([alarm, other, dashboard], found)
    assert found == {"SlaBreaches", "CasesSubmitted"}


# --- API Gateway's own refusals ---------------------------------------------------------------------

#: The refusals API Gateway makes before a handler runs, which clients meet in practice.
GATEWAY_REFUSALS = {
    "UNAUTHORIZED",
    "MISSING_AUTHENTICATION_TOKEN",
    "ACCESS_DENIED",
    "THROTTLED",
    "WAF_FILTERED",
    "REQUEST_TOO_LARGE",
    "INTEGRATION_TIMEOUT",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
}


def _gateway_responses(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["Api"]["Properties"]["GatewayResponses"])


def test_api_gateway_refusals_answer_in_the_apis_error_shape_with_the_request_id(template: dict[str, Any]) -> None:
    import json

    from minyi.api.schemas import ErrorBody

    # Given the gateway responses of the template
    responses = _gateway_responses(template)
    # Then every refusal a client meets is there, each a JSON ErrorBody carrying the request id, not cached
    assert set(responses) >= GATEWAY_REFUSALS
    for name, response in responses.items():
        body = json.loads(response["ResponseTemplates"]["application/json"].replace("$context.requestId", "req-1"))
        assert ErrorBody.model_validate(body).error, name
        assert body["request_id"] == "req-1", name
        assert response["ResponseParameters"]["Headers"]["Cache-Control"] == "'no-store'", name
        status = response.get("StatusCode")
        assert status is None or 400 <= int(status) <= 599, name


def test_the_local_gateway_refuses_as_api_gateway_does_in_aws(template: dict[str, Any]) -> None:
    import json
    import types

    from infra.local.gateway import LocalGateway, TokenIssuer
    from infra.local.template import Route

    # Given the local gateway with one signed-in route, and the template's gateway responses
    spec = types.SimpleNamespace(routes=[Route("GET", "/v1/requests", "SubmitFunction", public=False)])
    local = LocalGateway(types.SimpleNamespace(specs={"SubmitFunction": spec}), TokenIssuer(), {})  # type: ignore[arg-type]
    responses = _gateway_responses(template)

    def aws(name: str) -> tuple[int, str]:
        body = json.loads(responses[name]["ResponseTemplates"]["application/json"])
        return int(responses[name]["StatusCode"]), body["error"]

    def locally(method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
        status, _, data = local.handle(method, path, headers, b"", "127.0.0.1")
        return status, json.loads(data)["error"]

    # When a request comes without a token, with a bad one, or to no route / Then both answer alike
    assert locally("GET", "/v1/requests", {}) == aws("UNAUTHORIZED")
    assert locally("GET", "/v1/requests", {"Authorization": "Bearer not-a-token"}) == aws("UNAUTHORIZED")
    assert locally("GET", "/v1/no-such-thing", {}) == aws("MISSING_AUTHENTICATION_TOKEN")
    # and a method the path has no route for is, at API Gateway, the same refusal as an unknown path
    assert locally("DELETE", "/v1/requests", {}) == aws("MISSING_AUTHENTICATION_TOKEN")


# --- what CloudFront may cache ------------------------------------------------------------------------


def test_cloudfront_caches_exactly_the_api_answers_the_code_marks_cacheable(template: dict[str, Any]) -> None:
    from fnmatch import fnmatchcase

    from minyi.api.http import CACHEABLE_PATHS, REVALIDATED_PATHS

    # Given every API route of the template, and the distribution's behaviours that cache API answers
    routes = {
        str(event["Properties"]["Path"])
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event.get("Type") == "Api"
    }
    behaviours = template["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    api = [b for b in behaviours if b["TargetOriginId"] == "api"]
    cached = [b["PathPattern"] for b in api if b["CachePolicyId"] == {"Ref": "PublicApiCachePolicy"}]

    def first_behaviour(path: str) -> dict[str, Any]:  # CloudFront takes the first pattern that matches
        return next((b for b in api if fnmatchcase(path, b["PathPattern"])), {"PathPattern": None})

    # Then the routes whose first matching behaviour caches are exactly the cacheable ones (kept for a
    # while, or kept and revalidated by ETag on every use), and the cache keeps nothing longer than the
    # API's own max-age
    assert cached, "no cached API behaviour"
    stored = set(CACHEABLE_PATHS) | set(REVALIDATED_PATHS)
    assert {r for r in routes if first_behaviour(r)["PathPattern"] in cached} == stored
    policy = template["Resources"]["PublicApiCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert (policy["DefaultTTL"], policy["MaxTTL"]) == (0, 300)
