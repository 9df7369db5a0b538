"""Names of the business metrics (CloudWatch EMF, namespace `Minyi`).

The dashboard and the alarms in template.yaml refer to these names: renaming one here without the
template silently breaks an alarm, so a test checks that every name the template uses exists here.
"""

from __future__ import annotations

from enum import StrEnum


class Metric(StrEnum):
    CASES_SUBMITTED = "CasesSubmitted"
    CASES_DISPATCHED = "CasesDispatched"
    CASES_REPLIED = "CasesReplied"
    CASES_RETURNED = "CasesReturned"
    CASES_RATED = "CasesRated"
    CASES_CLOSED = "CasesClosed"
    CASES_CLOSED_UNRATED = "CasesClosedUnrated"
    CASES_WITHDRAWN = "CasesWithdrawn"
    #: 并单: cases merged into another open case of the same problem
    CASES_MERGED = "CasesMerged"
    #: "me too": citizens who followed an open case instead of filing
    REPORTERS_ADDED = "ReportersAdded"
    ROLLBACKS = "Rollbacks"
    SUPERVISIONS = "Supervisions"
    SLA_BREACHES = "SlaBreaches"
    DISPATCH_BREACHES = "DispatchBreaches"
    WORKFLOW_START_FAILURES = "WorkflowStartFailures"
    WORKFLOW_REPAIRS = "WorkflowRepairs"
    SWEEP_DUE_CASES = "SweepDueCases"
    #: a scheduled sweep that found another run holding the sweep's lease and ended at once
    SWEEP_RUNS_SKIPPED = "SweepRunsSkipped"
    SMS_SENT = "SmsSent"
    SMS_SEGMENTS = "SmsSegments"
    SMS_FAILURES = "SmsFailures"
    SMS_DUPLICATES_SUPPRESSED = "SmsDuplicatesSuppressed"
    #: Sign-up / sign-in codes and temporary passwords the pools handed to our SMS provider.
    ACCOUNT_CODES_SENT = "AccountCodesSent"
    #: PostConfirmation could not add a confirmed citizen to `citizen` (harmless: access is by pool).
    CITIZEN_GROUP_ADD_FAILURES = "CitizenGroupAddFailures"
    TRACKING_LOCKOUTS = "TrackingLockouts"
    TRACKING_VERIFICATION_REQUIRED = "TrackingVerificationRequired"
    OPEN311_SUBMISSIONS = "Open311Submissions"
    OPEN311_RATE_LIMITED = "Open311RateLimited"
    #: 直接办结: consultations an operator answered on the call.
    ANSWERED_AT_INTAKE = "AnsweredAtIntake"
    #: 回访 calls recorded by operators (any outcome).
    CALLBACKS = "Callbacks"
