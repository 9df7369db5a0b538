"""Logger, tracer and metrics shared by every function. Phone numbers are masked in every log line."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from minyi.domain.phone import mask_phones_in_text


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks anything that looks like a phone number in the serialised JSON log record."""

    def serialize(self, log: dict) -> str:  # type: ignore[override]
        return mask_phones_in_text(super().serialize(log))


# A request that records no business metric is normal (reads, tracking): not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(logger_formatter=MaskingFormatter())
tracer = Tracer()
metrics = Metrics(namespace="Minyi")
