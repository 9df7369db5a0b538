"""Accounts: admins create, list and disable staff accounts; citizens who confirm their sign-up join
the `citizen` group. The user directory (Cognito in AWS) stands behind `minyi.ports.UserDirectory`.

Disabling writes the platform's own record first (`minyi.ports.AccountStatuses`, which every staff
request checks through `minyi.services.account_status`), then disables the user in the directory and
ends its sessions there. If the record fails, nothing changed and the admin sees an error; if the
directory fails after it, the account is already locked out of the API (its tokens answer 401 within a
minute) and the admin sees an error and retries: both steps are idempotent.
"""

from __future__ import annotations

from minyi import policy
from minyi.domain.accounts import STAFF_ROLES, Account, AccountStatus, NewAccount
from minyi.domain.errors import InvalidInput, InvalidTransition, NotFound
from minyi.domain.metrics import Metric
from minyi.domain.models import DISPATCH_QUEUE, SUPERVISION_OFFICE_ID, Actor, Role
from minyi.domain.phone import DEFAULT_SMS_COUNTRIES, country_code
from minyi.observability import logger, metrics
from minyi.policy import Action
from minyi.ports import AccountStatuses, Clock, UserDirectory
from minyi.services.catalog import CatalogCache


class AccountService:
    def __init__(
        self,
        directory: UserDirectory,
        catalog: CatalogCache | None,
        sms_countries: frozenset[str] = DEFAULT_SMS_COUNTRIES,
        statuses: AccountStatuses | None = None,
        clock: Clock | None = None,
    ):
        self.directory = directory
        self.catalog = catalog
        self.sms_countries = sms_countries
        #: The revocation record; the admin API needs it, Cognito's triggers do not.
        self.statuses = statuses
        self.clock = clock

    # --- admins --------------------------------------------------------------------------------

    def create_staff(self, actor: Actor, new: NewAccount) -> Account:
        """A staff, dispatcher, supervisor, operator or admin account; staff belong to a unit of the
        catalogue. The directory texts the person a temporary password; staff then set up TOTP."""
        policy.require(actor, Action.MANAGE_STAFF)
        if new.role not in STAFF_ROLES:
            roles = ", ".join(r.value for r in STAFF_ROLES)
            raise InvalidInput("role", "error.role_one_of", roles=roles)
        if new.role == Role.STAFF:
            if not new.unit_id:
                raise InvalidInput("unit_id", "error.unit_required_for_staff")
            units = self.catalog.get().units if self.catalog is not None else {}
            if new.unit_id not in units or new.unit_id in (DISPATCH_QUEUE, SUPERVISION_OFFICE_ID):
                raise InvalidInput("unit_id", "error.unit_not_in_catalogue")
        elif new.unit_id:
            raise InvalidInput("unit_id", "error.unit_only_for_staff")
        if country_code(new.phone) not in self.sms_countries:
            raise InvalidInput("phone", "error.phone_must_take_sms")
        account = self.directory.create(new)
        logger.info("account created", extra={"username": account.username, "role": new.role.value, "by": actor.id})
        return account

    def list_staff(self, actor: Actor) -> list[Account]:
        policy.require(actor, Action.MANAGE_STAFF)
        return self.directory.accounts(STAFF_ROLES)

    def disable(self, actor: Actor, username: str) -> Account:
        """Disable a staff account and end its sessions (citizens' accounts are not managed here): the
        platform's record first (the API refuses the account's tokens from then on), then the directory."""
        policy.require(actor, Action.MANAGE_STAFF)
        if self.statuses is None or self.clock is None:
            raise RuntimeError("AccountService.disable needs the account statuses and a clock")
        account = self.directory.get(username)
        if account is None or account.role not in STAFF_ROLES:
            raise NotFound("error.no_such_staff_account")
        if account.username == actor.id:
            raise InvalidTransition("disable", "ENABLED", "error.cannot_disable_self")
        self.statuses.record(account.username, AccountStatus.DISABLED, by=actor.id, at=self.clock())
        disabled = self.directory.disable(username)
        if disabled is None:
            raise NotFound("error.no_such_staff_account")
        logger.info("account disabled", extra={"username": username, "by": actor.id})
        return disabled

    # --- Cognito triggers ----------------------------------------------------------------------

    def may_sign_up(self, phone: str | None) -> None:
        """PreSignUp: only numbers we can text may sign up (the code that confirms them comes by SMS)."""
        if not phone or country_code(phone) not in self.sms_countries:
            codes = ", ".join(f"+{c}" for c in sorted(self.sms_countries))
            raise InvalidInput("phone_number", "error.sign_up_mobile_of", codes=codes)

    def confirmed(self, username: str) -> None:
        """PostConfirmation of a sign-up: the person joins the `citizen` group, best effort.

        Access does not depend on the group (a token of the citizen pool is a citizen's: `minyi.api.http`),
        so a failure here is logged and counted, never raised: a raise would fail the confirmation in
        Cognito after the account is confirmed, and the person could neither confirm again nor sign in."""
        try:
            self.directory.add_to_group(username, Role.CITIZEN)
        except Exception as exc:  # best effort by design: nothing may strand the account
            metrics.add_metric(name=Metric.CITIZEN_GROUP_ADD_FAILURES, unit="Count", value=1)
            logger.warning("citizen group add failed", extra={"username": username, "error": type(exc).__name__})
            return
        logger.info("citizen signed up", extra={"username": username})
