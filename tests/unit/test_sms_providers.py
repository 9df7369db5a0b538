"""SMS providers behind the SmsSender port, on recorded responses of the real APIs (no network).

Tencent Cloud SMS goes through the official SDK end to end (request building, TC3 signing, response
parsing): only the HTTP exchange is replaced, by the recorded answers in `recorded/tencent_sms/`
(the shapes of SendSms 2021-01-11: success, a throttled number, the API's own rate limit, an
unapproved template, a template parameter too long, bad credentials). SNS runs on moto.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import responses
from moto import mock_aws

from minyi.adapters import secrets
from minyi.adapters.sms import sms_sender
from minyi.adapters.sms.sns import SnsSmsSender, reset_clients
from minyi.adapters.sms.templates import (
    ProviderConfig,
    code_texts,
    hotspot_texts,
    notice_texts,
    registration_text,
    registrations,
    template_texts,
)
from minyi.adapters.sms.tencent import TencentSmsSender
from minyi.domain.account_codes import CodeKind, code_message, compose_code
from minyi.domain.models import EventType
from minyi.domain.notices import Notice, TemplateMessage, template_key
from minyi.ports import SmsError, SmsProviderError, TemplateSmsSender
from minyi.services.notify import NotifyService
from minyi.text import render_fields

RECORDED = Path(__file__).parent / "recorded" / "tencent_sms"
ENDPOINT = "https://sms.tencentcloudapi.com/"
PHONE = "+8613812345678"
DISPATCHED = TemplateMessage(
    key="citizen.dispatched.zh",
    params={"no": "SZ2603-7KQ3MX", "unit": "福田区交警大队", "due": "03月12日18:00"},
)


def _config(**overrides: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "secret_id": "AKIDEXAMPLE0000000000000000000000000",
        "secret_key": "example-secret-key-0000000000000",
        "sdk_app_id": "1400000001",
        "sign_name": "民意速办",
        "region": "ap-guangzhou",
        "templates": {key: str(2000000 + n) for n, key in enumerate(sorted({**notice_texts(), **hotspot_texts()}))},
    }
    values.update(overrides)
    return ProviderConfig.model_validate(values)


def _answer(name: str) -> None:
    responses.add(
        responses.POST,
        ENDPOINT,
        body=(RECORDED / name).read_text(encoding="utf-8"),
        status=200,
        content_type="application/json",
    )


@responses.activate
def test_tencent_sends_the_registered_template_with_its_parameters_in_order() -> None:
    # Given a provider configured with a template id for every notice text
    config = _config()
    _answer("send_ok.json")
    # When a notice is sent
    message_id = TencentSmsSender(config).send_template(PHONE, DISPATCHED)
    # Then the provider's serial number is the message id
    assert message_id == "5000:1045710669157053657849499619"
    # and the signed SendSms request names the template, the signature and the parameters in text order
    (call,) = responses.calls
    request = call.request
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["X-TC-Version"] == "2021-01-11"
    assert request.headers["X-TC-Region"] == "ap-guangzhou"
    assert request.headers["Authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE0000000000000000000000000/"
    )
    body = json.loads(request.body)
    assert body["PhoneNumberSet"] == [PHONE]
    assert body["SmsSdkAppId"] == "1400000001"
    assert body["SignName"] == "民意速办"
    assert body["TemplateId"] == config.templates["citizen.dispatched.zh"]
    assert body["TemplateParamSet"] == ["SZ2603-7KQ3MX", "福田区交警大队", "03月12日18:00"]


@pytest.mark.parametrize(
    ("recording", "code", "retryable"),
    [
        ("number_throttled.json", "LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("request_limit_exceeded.json", "RequestLimitExceeded", True),
        ("template_unapproved.json", "FailedOperation.TemplateIncorrectOrUnapproved", False),
        ("template_param_too_long.json", "InvalidParameterValue.TemplateParameterLengthLimit", False),
        ("auth_failure.json", "AuthFailure.SignatureFailure", False),
    ],
)
@responses.activate
def test_tencent_refusals_become_sms_errors_with_the_provider_code(recording: str, code: str, retryable: bool) -> None:
    _answer(recording)
    with pytest.raises(SmsProviderError) as refused:
        TencentSmsSender(_config()).send_template(PHONE, DISPATCHED)
    # an SmsError: the notify service marks the outbox FAILED and the stream retries the record
    assert isinstance(refused.value, SmsError)
    assert refused.value.code == code
    assert refused.value.retryable is retryable


@responses.activate
def test_tencent_server_error_is_retryable() -> None:
    responses.add(responses.POST, ENDPOINT, body="upstream unavailable", status=502)
    with pytest.raises(SmsProviderError) as refused:
        TencentSmsSender(_config()).send_template(PHONE, DISPATCHED)
    assert refused.value.retryable is True


@responses.activate
def test_a_notice_without_a_registered_template_is_refused_without_calling_the_provider() -> None:
    config = _config(templates={})
    assert config.missing_templates() == sorted(template_texts())
    with pytest.raises(SmsProviderError) as refused:
        TencentSmsSender(config).send_template(PHONE, DISPATCHED)
    assert refused.value.code == "TemplateNotConfigured"
    assert refused.value.retryable is False
    assert not responses.calls


def test_tencent_sends_no_free_text() -> None:
    with pytest.raises(SmsProviderError):
        TencentSmsSender(_config()).send(PHONE, "【民意速办】hello")


def test_every_notice_text_is_a_template_to_register_with_numbered_parameters() -> None:
    texts = notice_texts()
    # each (recipient kind, event, language) the notices can produce has its own key
    assert template_key("citizen", EventType.DISPATCHED, "en") in texts
    assert template_key("supervisors", EventType.CLOSED, "zh") in texts
    registered = registrations("12345.sz.gov.cn/r")
    # the supervision office's hotspot alert (未诉先办) is registered too
    assert set(hotspot_texts()) == {"supervision.hotspot.zh"}
    assert set(registered) == set(texts) | set(hotspot_texts()) | set(code_texts())
    dispatched = registered["citizen.dispatched.zh"]
    # the signature is registered separately; variables become {1}, {2}, ... in order of first use
    assert dispatched["text"] == "您的诉求{1}已派至{2}办理，时限{3}。"
    assert [p["name"] for p in dispatched["params"]] == ["no", "unit", "due"]  # type: ignore[attr-defined,index]
    assert (
        registration_text("[Minyi] Your request {no} is closed. Thank you.", "x/r")
        == "Your request {1} is closed. Thank you."
    )
    for entry in registered.values():
        assert "【" not in str(entry["text"])
        assert "{" + "no" not in str(entry["text"])


class _TemplateRecorder:
    def __init__(self) -> None:
        self.templates: list[tuple[str, TemplateMessage]] = []
        self.texts: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.texts.append((to, body))
        return "text-1"

    def send_template(self, to: str, message: TemplateMessage) -> str:
        self.templates.append((to, message))
        return "template-1"


class _TextOnly:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.texts.append((to, body))
        return "text-1"


def _notice() -> Notice:
    return Notice(
        case_id="c-1",
        event_seq=2,
        event_type=EventType.DISPATCHED,
        kind="citizen",
        to=PHONE,
        body="【民意速办】您的诉求SZ2603-7KQ3MX已派至福田区交警大队办理，时限03月12日18:00。",
        segments=1,
        template=DISPATCHED,
    )


def _notify(sender: Any) -> NotifyService:
    return NotifyService(
        cases=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        catalog=None,  # type: ignore[arg-type]
        sender=sender,
        clock=lambda: datetime.now(UTC),
        links=None,  # type: ignore[arg-type]
    )


def test_notify_hands_template_providers_the_template_and_others_the_text() -> None:
    templated, text_only = _TemplateRecorder(), _TextOnly()
    assert isinstance(templated, TemplateSmsSender)
    assert not isinstance(text_only, TemplateSmsSender)
    assert _notify(templated)._send(_notice()) == "template-1"
    assert templated.templates == [(PHONE, DISPATCHED)] and not templated.texts
    assert _notify(text_only)._send(_notice()) == "text-1"
    assert text_only.texts == [(PHONE, _notice().body)]


def test_the_template_is_not_stored_in_the_outbox_item() -> None:
    assert "template" not in _notice().model_dump(mode="json")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        reset_clients()
        secrets.secret_bytes.cache_clear()
        yield
        reset_clients()
        secrets.secret_bytes.cache_clear()


def test_sns_sends_from_the_sms_region(aws: Any) -> None:
    sender = sms_sender("sns", region="ap-southeast-1", sender_id="MINYI")
    assert isinstance(sender, SnsSmsSender)
    message_id = sender.send(PHONE, "【民意速办】您的诉求已受理")
    assert message_id
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = sns_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sms_messages
    assert [(to, body) for to, body in sent.values()] == [(PHONE, "【民意速办】您的诉求已受理")]


def test_sns_refusal_is_an_sms_error(aws: Any) -> None:
    with pytest.raises(SmsProviderError) as refused:
        SnsSmsSender(region="ap-southeast-1").send("not-a-number", "hello")
    assert refused.value.code == "InvalidParameter"
    assert refused.value.retryable is False


@responses.activate
def test_the_tencent_configuration_is_read_from_its_secret_once_per_container(aws: Any) -> None:
    responses.add_passthru("https://secretsmanager")
    arn = boto3.client("secretsmanager").create_secret(
        Name="minyi/sms-provider", SecretString=_config().model_dump_json()
    )["ARN"]
    first = sms_sender("tencent", secret_arn=arn)
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=json.dumps({"rotated": True}))
    second = sms_sender("tencent", secret_arn=arn)
    assert isinstance(first, TencentSmsSender) and isinstance(second, TencentSmsSender)
    assert first.config == second.config == _config()
    with pytest.raises(ValueError):
        sms_sender("tencent", secret_arn=None)


def test_the_user_pools_codes_are_templates_to_register_and_missing_until_registered() -> None:
    # Given the texts of the custom SMS sender (verification codes, staff temporary passwords)
    registered = registrations("12345.sz.gov.cn/r")
    # Then each is a template to register, its one variable numbered {1}
    assert registered["account.code.zh"]["text"] == "验证码 {1}，请勿告诉他人。"
    names = {key: [p["name"] for p in entry["params"]] for key, entry in registered.items()}  # type: ignore[attr-defined]
    assert names["account.code.zh"] == ["code"]
    assert names["account.temporary_password.zh"] == ["password"]
    assert set(code_texts()) <= set(registered)
    # and a configuration that registered only the notices lacks them (the codes would fail)
    config = _config()
    assert config.missing_templates() == sorted(code_texts())
    # When a code's message is built, its parameters fill the registered template into the text
    for kind, secret in ((CodeKind.VERIFICATION_CODE, "123456"), (CodeKind.TEMPORARY_PASSWORD, "Xy7-pass")):
        body, template = compose_code(code_message(kind, secret), render_fields)
        rendered = str(registered[template.key]["text"]).replace("{1}", secret)
        assert body.endswith(rendered), (body, rendered)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("event_type", list(EventType))
def test_every_notice_the_planner_makes_is_a_registered_template_with_its_parameters(
    event_type: EventType, language: str
) -> None:
    from minyi.domain.notices import NoticeContext, template_placeholders
    from minyi.services.notify import plan_notices
    from tests.unit.test_notices import UNIT, context, make_case, make_event

    base = context(make_case(language=language, supervised=True))
    ctx = NoticeContext(
        **{**base.model_dump(), "previous_unit": UNIT, "dispatchers_phone": "+8675588880000", "assist_units": [UNIT]},
    )
    texts = notice_texts()
    registered = registrations(base.rating_address)
    for notice in plan_notices(make_event(event_type), ctx):
        assert notice.template is not None
        key = notice.template.key
        assert key in texts, key
        # the parameters are the text's placeholders, in order, and fill the registered template into the body
        assert list(notice.template.params) == template_placeholders(texts[key])
        rendered = str(registered[key]["text"])
        for number, value in enumerate(notice.template.params.values(), start=1):
            rendered = rendered.replace("{" + str(number) + "}", value)
        assert notice.body.endswith(rendered), (notice.body, rendered)


def test_every_notice_text_is_the_catalogues_in_each_language_it_is_sent_in() -> None:
    from minyi import text
    from minyi.domain.notices import notice_keys, registered_key

    # Given the notices' catalogue keys (`sms.<kind>.<event>[.variant]`)
    keys = notice_keys()
    assert "sms.citizen.replied.short" in keys and "sms.unit.dispatched.urgent" in keys
    # Then each is in both catalogues, citizens' are registered in both languages and staff's in Chinese
    for key, languages in keys.items():
        assert text.has(key, "zh") and text.has(key, "en"), key
        assert languages == (("zh", "en") if key.startswith("sms.citizen.") else ("zh",)), key
    # And the registered template is the catalogue's text, placeholders and all
    texts = notice_texts()
    assert set(texts) == {registered_key(key, lang) for key, langs in keys.items() for lang in langs}
    assert texts["citizen.dispatched.en"] == text.template("sms.citizen.dispatched", "en")
    assert "{due:day_time}" in texts["unit.dispatched.zh"]


def test_the_assist_sms_is_a_chinese_template_to_register() -> None:
    # Given the templates to register
    registered = registrations("12345.sz.gov.cn/r")
    # Then the SMS to a unit asked to help (协办) is one, in Chinese only, with the tracking number its variable
    assist = registered["assist_unit.assist_requested.zh"]
    assert "协办" in str(assist["text"]) and "{1}" in str(assist["text"])
    assert [p["name"] for p in assist["params"]] == ["no"]  # type: ignore[attr-defined,index]
    assert "assist_unit.assist_requested.en" not in registered
