"""Embedded AWS: moto's backends in this process, reached in process by our own clients and over HTTP
by everyone else, with the template's resources.

Why both: the handlers, the Step Functions interpreter and the stream reader run in this process, so
their calls go straight to moto's backends (`mock_aws`, no socket, no HTTP parsing: the largest cost
of the local runtime when every call went through moto's HTTP server). What leaves the process needs
a URL: presigned S3 uploads and downloads made by a phone or `curl`. So moto's HTTP server also
listens, and S3 clients are pointed at it (`AWS_ENDPOINT_URL_S3`) - which also makes moto treat that
URL as S3 in process (`MOTO_S3_CUSTOM_ENDPOINTS`), so only outside callers pay for HTTP. Both paths
share moto's backends and one lock (`moto_patches.LOCK`).

The embedded AWS checks no request signature of the services a case's path calls (moto reads only the
access key of an Authorization header, for the account, and none means the one account the runtime
has), so the in-process clients of those services send none: SigV4 signing was a third of the client's
CPU on each call (0.3 ms of about 1 ms for a GetItem). S3 is not among them: its presigned URLs and
POST policies carry real signatures, which the runtime checks (moto_patches).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from infra.local import moto_patches
from infra.local.template import ACCOUNT, Template

_ROLE = f"arn:aws:iam::{ACCOUNT}:role/minyi-local-workflow"
#: moto runs the state machine definitions it is given (its ASL interpreter), not just stores them.
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
#: botocore's service ids of the services whose in-process requests go unsigned (see above).
UNSIGNED_SERVICES = ("dynamodb", "sfn", "sns", "sqs")
#: CloudFormation's default length for GenerateSecretString.
DEFAULT_SECRET_LENGTH = 32


def generated_secret(spec: dict[str, Any]) -> str:
    """A value for GenerateSecretString (letters and digits: what ExcludePunctuation asks for)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", DEFAULT_SECRET_LENGTH))))


def _unsigned(**_: Any) -> Any:
    import botocore

    return botocore.UNSIGNED


def skip_signing_in_process() -> None:
    """Every botocore session created from now on sends UNSIGNED_SERVICES' requests unsigned."""
    import botocore.handlers

    for service in UNSIGNED_SERVICES:
        hook = (f"choose-signer.{service}", _unsigned)
        if hook not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(hook)


class _SerialisedApp:
    """moto's backends are not atomic across threads: one request at a time, under the shared lock."""

    def __init__(self, app: Any):
        self.app = app
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with moto_patches.LOCK:
            self.requests += 1
            # materialise the body while holding the lock
            return list(self.app(environ, start_response))


class EmbeddedAws:
    def __init__(self, template: Template, host: str = "127.0.0.1", port: int = 0):
        self.template = template
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._mock: Any = None
        self.app: _SerialisedApp | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        from moto import mock_aws
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        moto_patches.install()
        skip_signing_in_process()
        self.app = _SerialisedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="moto-http", daemon=True).start()
        os.environ.pop("AWS_ENDPOINT_URL", None)  # every other service: in process
        os.environ["AWS_ENDPOINT_URL_S3"] = self.endpoint  # presigned URLs a phone can reach
        os.environ["MOTO_S3_CUSTOM_ENDPOINTS"] = self.endpoint  # ... and that moto serves in process too
        os.environ["MOTO_PORT"] = str(self.port)
        self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
        self._mock.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

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
        sm = boto3.client("secretsmanager")
        for logical_id, res in self.template.of_type("AWS::SecretsManager::Secret").items():
            props = res.get("Properties", {})
            name = self.template.physical_name(logical_id)  # what !Ref resolves to locally
            value = props.get("SecretString") or generated_secret(props.get("GenerateSecretString", {}))
            sm.create_secret(Name=name, SecretString=value)
            created[logical_id] = name
        sqs = boto3.client("sqs")
        for logical_id in self.template.of_type("AWS::SQS::Queue"):
            name = self.template.physical_name(logical_id)
            created[logical_id] = sqs.create_queue(QueueName=name)["QueueUrl"]
        sfn = boto3.client("stepfunctions")
        for logical_id in self.template.of_type("AWS::Serverless::StateMachine"):
            name, definition = self.template.state_machine(logical_id)
            json.loads(definition)  # fail early on a broken definition
            created[logical_id] = sfn.create_state_machine(name=name, definition=definition, roleArn=_ROLE)[
                "stateMachineArn"
            ]
        return created
