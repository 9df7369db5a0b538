"""Embedded AWS: moto's server in this process, serialised by one lock, with the template's resources."""

from __future__ import annotations

import json
import logging
import os
import threading
from secrets import token_urlsafe
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.template import ACCOUNT, Template

_ROLE = f"arn:aws:iam::{ACCOUNT}:role/minyi-local-workflow"


class _SerialisedApp:
    """moto's backends are not atomic across threads: one request at a time."""

    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.RLock()
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            self.requests += 1
            # materialise the body while holding the lock
            return list(self.app(environ, start_response))


class EmbeddedAws:
    def __init__(self, template: Template, host: str = "127.0.0.1", port: int = 0):
        self.template = template
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self.app: _SerialisedApp | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self.app = _SerialisedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="moto", daemon=True).start()
        # Every boto3 client in this process (handlers, moto's Step Functions interpreter) uses it.
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        os.environ["MOTO_PORT"] = str(self.port)
        requests.post(
            f"{self.endpoint}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def create_resources(self) -> dict[str, str]:
        """Tables, buckets, queues and state machines as template.yaml defines them."""
        import boto3

        ddb = boto3.client("dynamodb")
        created: dict[str, str] = {}
        for logical_id, res in self.template.of_type("AWS::DynamoDB::Table").items():
            spec = self.template.table_definition(logical_id)
            ddb.create_table(**spec)
            ttl = res["Properties"].get("TimeToLiveSpecification")
            if ttl:
                ddb.update_time_to_live(TableName=spec["TableName"], TimeToLiveSpecification=ttl)
            created[logical_id] = spec["TableName"]
        s3 = boto3.client("s3")
        for logical_id in self.template.of_type("AWS::S3::Bucket"):
            name = self.template.physical_name(logical_id)
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": self.template.region},  # type: ignore[typeddict-item]
            )
            created[logical_id] = name
        sqs = boto3.client("sqs")
        for logical_id in self.template.of_type("AWS::SQS::Queue"):
            name = self.template.physical_name(logical_id)
            created[logical_id] = sqs.create_queue(QueueName=name)["QueueUrl"]
        secrets = boto3.client("secretsmanager")
        for logical_id in self.template.of_type("AWS::SecretsManager::Secret"):
            # GenerateSecretString, as CloudFormation does it: a fresh random value per stack
            name = self.template.physical_name(logical_id)
            secrets.create_secret(Name=name, SecretString=token_urlsafe(36))
            created[logical_id] = name
        sfn = boto3.client("stepfunctions")
        for logical_id in self.template.of_type("AWS::Serverless::StateMachine"):
            name, definition = self.template.state_machine(logical_id)
            json.loads(definition)  # fail early on a broken definition
            created[logical_id] = sfn.create_state_machine(name=name, definition=definition, roleArn=_ROLE)[
                "stateMachineArn"
            ]
        return created
