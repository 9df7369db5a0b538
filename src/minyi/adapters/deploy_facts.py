"""`minyi.ports.DeployFacts` from the account and Tencent Cloud SMS, read-only (`minyi preflight`).

- region opt-in: ec2:DescribeRegions with AllRegions, asked in us-east-1 (a region that is not enabled
  has no endpoint to ask); account:GetRegionOptStatus needs the management account's permission;
- Lambda concurrency: lambda:GetAccountSettings in the target region;
- certificates: ACM in us-east-1, where CloudFront takes its certificates from;
- the SMS provider secret: secretsmanager:GetSecretValue, validated as `ProviderConfig`;
- the provider's template review: Tencent Cloud SMS DescribeSmsTemplateList through the official SDK
  client the SMS sender uses (`sms.tencent.api_client`: it signs, TC3-HMAC-SHA256);
- the templates the stack needs: the registry in `minyi.adapters.sms.templates` (`registrations()`).

Runs on an operator's machine, never in a Lambda handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from minyi.ports import Certificate, LambdaConcurrency, ProviderRefused, SmsSecret, TemplateStatus

#: ACM certificates for CloudFront live here, whatever the stack's region.
CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
#: DescribeSmsTemplateList takes at most this many ids a call.
TEMPLATE_IDS_PER_CALL = 100

#: (service, region) -> a boto3 client
ClientFactory = Callable[[str, str], Any]


def boto3_clients(service: str, region: str) -> Any:
    import boto3

    return boto3.session.Session().client(service, region_name=region)  # type: ignore[call-overload]


#: What a template's rating address reads as when the web domain was not given (its text then differs
#: from the approved one, and preflight says so).
UNKNOWN_ADDRESS = "<web domain>/r"


def registry(web_domain: str | None = None) -> Mapping[str, str]:
    """Template key -> its text in the provider's syntax, from the one template registry, with the rating
    address on `web_domain` written in as the registered text has it."""
    from minyi.adapters.sms.templates import registrations
    from minyi.domain.rating_links import display_address

    address = display_address(f"https://{web_domain}") if web_domain else UNKNOWN_ADDRESS
    return {key: str(entry["text"]) for key, entry in registrations(address).items()}


def _problem(error: Any) -> str:
    where = ".".join(map(str, error["loc"]))
    return f"{where} empty" if error["type"] in ("string_too_short", "missing") else f"{where}: {error['msg']}"


class AwsDeployFacts:
    def __init__(
        self,
        region: str,
        clients: ClientFactory = boto3_clients,
        sms_client: Callable[[Any], Any] | None = None,
        templates: Callable[[], Mapping[str, str]] = registry,
    ):
        self.region = region
        self.clients = cache(clients)
        self.sms_client = sms_client
        self.templates = templates

    def region_opt_in(self, region: str) -> str | None:
        ec2 = self.clients("ec2", CLOUDFRONT_CERTIFICATE_REGION)
        regions = ec2.describe_regions(AllRegions=True, RegionNames=[region])["Regions"]
        return str(regions[0]["OptInStatus"]) if regions else None

    def lambda_concurrency(self, region: str) -> LambdaConcurrency:
        limit = self.clients("lambda", region).get_account_settings()["AccountLimit"]
        return LambdaConcurrency(
            total=int(limit["ConcurrentExecutions"]), unreserved=int(limit["UnreservedConcurrentExecutions"])
        )

    def certificates(self) -> list[Certificate]:
        acm = self.clients("acm", CLOUDFRONT_CERTIFICATE_REGION)
        found = []
        for page in acm.get_paginator("list_certificates").paginate():
            for summary in page["CertificateSummaryList"]:
                detail = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
                names = [detail["DomainName"], *detail.get("SubjectAlternativeNames", [])]
                found.append(Certificate(detail["CertificateArn"], tuple(dict.fromkeys(names)), detail["Status"]))
        return found

    def _secret_string(self, secret_id: str) -> str | None:
        client = self.clients("secretsmanager", self.region)
        try:
            return str(client.get_secret_value(SecretId=secret_id)["SecretString"])
        except client.exceptions.ResourceNotFoundException:
            return None

    def _config(self, secret_id: str) -> Any:
        from minyi.adapters.sms.templates import ProviderConfig

        value = self._secret_string(secret_id)
        return None if value is None else ProviderConfig.from_secret_string(value)

    def sms_secret(self, secret_id: str) -> SmsSecret | None:
        from pydantic import ValidationError

        try:
            config = self._config(secret_id)
        except ValidationError as exc:
            return SmsSecret(problems=tuple(_problem(e) for e in exc.errors()))
        except ValueError:
            return SmsSecret(problems=("not JSON",))
        if config is None:
            return None
        return SmsSecret(problems=(), templates=dict(config.templates))

    def template_statuses(self, secret_id: str, template_ids: list[str]) -> dict[str, TemplateStatus]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        from minyi.adapters.sms.tencent import api_client

        config = self._config(secret_id)
        client = (self.sms_client or api_client)(config)
        found: dict[str, TemplateStatus] = {}
        for start in range(0, len(template_ids), TEMPLATE_IDS_PER_CALL):
            chunk = template_ids[start : start + TEMPLATE_IDS_PER_CALL]
            request = models.DescribeSmsTemplateListRequest()
            request.from_json_string(json.dumps({"International": 0, "TemplateIdSet": [int(i) for i in chunk]}))
            try:
                response = client.DescribeSmsTemplateList(request)
            except TencentCloudSDKException as exc:
                raise ProviderRefused(str(exc.get_code()), str(exc.get_message())) from exc
            for status in response.DescribeTemplateStatusSet or []:
                found[str(status.TemplateId)] = TemplateStatus(
                    template_id=str(status.TemplateId),
                    state=int(status.StatusCode),
                    content=str(status.TemplateContent or ""),
                    review_reply=str(status.ReviewReply or ""),
                )
        return found

    def required_templates(self) -> Mapping[str, str]:
        return self.templates()
