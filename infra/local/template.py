"""Reads template.yaml: the local runtime's single source for tables, functions, routes and the workflow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ACCOUNT = "123456789012"


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader that turns CloudFormation short tags (!Ref, !GetAtt, !Sub ...) into long form
    (libyaml's loader where PyYAML has it: the pure-Python one took a quarter of a runtime's start)."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)


@dataclass
class Route:
    method: str
    path: str  # API Gateway form: /v1/requests/{case_id}
    function: str
    public: bool
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        self.pattern = re.compile(f"^{regex}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.match(path)
        return m.groupdict() if m else None


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]
    routes: list[Route]
    events: dict[str, Any]


class Template:
    """The parts of template.yaml the local runtime needs, with intrinsics resolved to local names."""

    def __init__(self, region: str, parameter_overrides: dict[str, str] | None = None, path: Path = TEMPLATE):
        self.raw = load_template(path)
        self.region = region
        self.resources: dict[str, Any] = self.raw["Resources"]
        self.parameters = {k: str(v.get("Default", "")) for k, v in self.raw.get("Parameters", {}).items()}
        self.parameters.update(parameter_overrides or {})
        self.parameters.setdefault("Stage", "local")
        self.parameters["Stage"] = "local"

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_name}

    # names the local resources get
    def physical_name(self, logical_id: str) -> str:
        res = self.resources[logical_id]
        kind = res["Type"]
        if kind == "AWS::DynamoDB::Table":
            return f"minyi-local-{logical_id}"
        if kind == "AWS::S3::Bucket":
            return f"minyi-local-{logical_id.lower()}"
        if kind == "AWS::Serverless::StateMachine":
            name = res["Properties"].get("Name")
            return str(self.resolve(name)) if name else f"minyi-local-{logical_id}"
        if kind == "AWS::Serverless::Function":
            return logical_id
        return f"local-{logical_id}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}"
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self.region}:{ACCOUNT}:table/{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        return f"arn:aws:local:{self.region}:{ACCOUNT}:{name}"

    def resolve(self, value: Any) -> Any:
        """Resolve Ref / GetAtt / Sub to local values."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                if arg in self.parameters:
                    return self.parameters[arg]
                if arg == "AWS::Region":
                    return self.region
                if arg == "AWS::AccountId":
                    return ACCOUNT
                if arg == "AWS::Partition":
                    return "aws"
                kind = self.resources[arg]["Type"]
                if kind in {"AWS::Serverless::StateMachine", "AWS::SQS::Queue"}:
                    return self.arn(arg) if kind.endswith("StateMachine") else self.queue_url(arg)
                return self.physical_name(arg)
            if key == "Fn::GetAtt":
                logical_id, attr = arg
                if attr in {"Arn", "StreamArn"}:
                    return self.arn(logical_id)
                if attr == "QueueName":
                    return self.physical_name(logical_id)
                return self.physical_name(logical_id)
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_var(m.group(1))), text)
            if key == "Fn::If":
                if self._parameter_is_empty(arg[0]):
                    return self.resolve(arg[1])
                return self.resolve(arg[2])  # local runs as a non-prod stage
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _parameter_is_empty(self, condition: str) -> bool:
        """A condition `!Equals [!Ref <parameter>, ""]` (a parameter left at its empty default, such as
        RatingLinkBase: the stack's own web address) holds as it would in AWS; any other is false here."""
        test = self.raw.get("Conditions", {}).get(condition)
        if not (isinstance(test, dict) and list(test) == ["Fn::Equals"]):
            return False
        left, right = test["Fn::Equals"]
        return right == "" and isinstance(left, dict) and self.parameters.get(left.get("Ref", "\0"), "\0") == ""

    def _sub_var(self, name: str) -> Any:
        if "." in name:
            logical_id, attr = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical_id, attr]})
        return self.resolve({"Ref": name})

    def queue_url(self, logical_id: str) -> str:
        return f"LOCAL_QUEUE_URL:{self.physical_name(logical_id)}"

    def functions(self) -> dict[str, FunctionSpec]:
        globals_env = self.raw.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        specs: dict[str, FunctionSpec] = {}
        for logical_id, res in self.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = {**globals_env, **props.get("Environment", {}).get("Variables", {})}
            routes = []
            events = props.get("Events", {})
            for ev in events.values():
                if ev["Type"] == "Api":
                    p = ev["Properties"]
                    public = p.get("Auth", {}).get("Authorizer") == "NONE"
                    routes.append(Route(p["Method"].upper(), p["Path"], logical_id, public))
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=ROOT / props["CodeUri"],
                handler=props["Handler"],
                environment=env,
                routes=routes,
                events=events,
            )
        return specs

    def table_definition(self, logical_id: str) -> dict[str, Any]:
        props = self.resources[logical_id]["Properties"]
        spec: dict[str, Any] = {
            "TableName": self.physical_name(logical_id),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            spec["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        return spec

    def state_machine(self, logical_id: str) -> tuple[str, str]:
        """(name, definition) with DefinitionSubstitutions applied, as CloudFormation would."""
        props = self.resources[logical_id]["Properties"]
        definition = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(self.resolve(value)))
        return self.physical_name(logical_id), definition
