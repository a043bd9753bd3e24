"""The job kinds the core defines, each bound to the use case that performs it."""

from __future__ import annotations

from pathlib import Path

import requests

from core.connector import Connector
from core.jobs import ClaimedJob, Handler
from core.payments import sandbox, signatures
from core.payments.provider import ProviderEnvironment
from core.payments.sandbox.web import JOB_DELIVER_WEBHOOK
from core.reminders import MessageKind
from core.services import (
    autopay,
    autopay_jobs,
    carts,
    checkout,
    credit_notes,
    daily_figures,
    documents,
    invoicing,
    message_delivery,
    payment_accounts,
    payments,
    payouts,
    provider_events,
    reminder_schedule,
    rewards,
    store_events,
    store_sync,
)
from core.services import messaging as messages
from core.services.context import ServiceContext
from core.services.messaging import MessagingEnvironment, outbox_messaging
from core.storage.models import PaymentAccount


def core_handlers(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    messaging: MessagingEnvironment | None = None,
    connectors: dict[str, Connector] | None = None,
    logo_dir: Path | None = None,
) -> dict[str, Handler]:
    """Every job kind with its handler. Messages go to the outbox unless `messaging` names the
    channels the settings chose; store events go to the connectors the settings enable;
    documents show the merchants' logos found in `logo_dir`."""
    session = requests.Session()
    messaging = messaging or outbox_messaging(env.base_url, env.secret_key)
    document_env = documents.DocumentEnvironment(logo_dir, env.base_url)

    def make_document(job: ClaimedJob) -> None:
        documents.make_invoice_document(ctx, document_env, job.payload["invoice_id"])

    def make_credit_note(job: ClaimedJob) -> None:
        credit_notes.make_credit_note(ctx, document_env, job.payload["refund_id"])

    def send_step(job: ClaimedJob) -> None:
        one_off = job.payload.get("one_off")
        messages.send_step(
            ctx,
            messaging,
            job.payload["invoice_id"],
            job.payload["step"],
            MessageKind(one_off) if one_off else None,
        )

    def process_store_event(job: ClaimedJob) -> None:
        store_events.process_store_event(ctx, connectors or {}, job.payload["event_id"])

    def push_payment(job: ClaimedJob) -> None:
        store_events.push_payment(ctx, connectors or {}, job.payload["invoice_id"])

    def create_reward_code(job: ClaimedJob) -> None:
        rewards.create_code(ctx, connectors or {}, job.payload["invoice_id"])

    def setup_store(job: ClaimedJob) -> None:
        store_sync.setup_store(ctx, connectors or {}, job.payload["store_id"])

    def refresh_figures(job: ClaimedJob) -> None:
        daily_figures.refresh_merchant(ctx, job.payload["merchant_id"])

    def sync_payouts(job: ClaimedJob) -> None:
        payouts.sync_payouts(ctx, env, job.payload["account_id"])

    def poll_store(job: ClaimedJob) -> None:
        store_sync.poll_store(ctx, connectors or {}, job.payload["store_id"])

    def abandon_cart(job: ClaimedJob) -> None:
        carts.abandon_cart(ctx, connectors or {}, job.payload["cart_id"])

    def deliver_message(job: ClaimedJob) -> None:
        message_delivery.deliver(ctx, messaging, job.payload["message_id"])

    def mark_overdue(job: ClaimedJob) -> None:
        invoicing.mark_overdue(ctx, job.payload["merchant_id"], job.payload["invoice_id"])

    def expire(job: ClaimedJob) -> None:
        invoicing.expire_invoice(ctx, job.payload["merchant_id"], job.payload["invoice_id"])

    def process_provider_event(job: ClaimedJob) -> None:
        provider_events.process_provider_event(ctx, env, job.payload["event_id"])

    def save_payment_method(job: ClaimedJob) -> None:
        autopay_jobs.save_method(ctx, env, job.payload["checkout_id"])

    def charge_period(job: ClaimedJob) -> None:
        autopay_jobs.charge(ctx, env, job.payload["invoice_id"])

    def charge_deadline(job: ClaimedJob) -> None:
        autopay_jobs.deadline(ctx, job.payload["invoice_id"])

    def settle_checkout(job: ClaimedJob) -> None:
        provider_events.settle_checkout(ctx, env, job.payload["checkout_id"])

    def deliver_sandbox_webhook(job: ClaimedJob) -> None:
        """Send the sandbox's signed webhook to Paylink's own endpoint, over HTTP."""
        account_id = job.payload["account_id"]
        with ctx.db.transaction() as db_session:
            account = db_session.get(PaymentAccount, account_id)
            assert account is not None
        secret = payment_accounts.account_credentials(ctx, account)["webhook_secret"]
        body = job.payload["body"].encode()
        header = signatures.signature_header(body, secret, int(ctx.clock().timestamp()))
        response = session.post(
            f"{env.base_url}/webhooks/sandbox/{account_id}",
            data=body,
            timeout=10,
            headers={"Content-Type": "application/json", sandbox.SIGNATURE_HEADER: header},
        )
        response.raise_for_status()

    return {
        invoicing.JOB_MARK_OVERDUE: mark_overdue,
        invoicing.JOB_EXPIRE: expire,
        invoicing.JOB_RENDER_DOCUMENT: make_document,
        credit_notes.JOB_CREDIT_NOTE: make_credit_note,
        provider_events.JOB_PROCESS_EVENT: process_provider_event,
        reminder_schedule.JOB_SEND_STEP: send_step,
        messages.JOB_DELIVER: deliver_message,
        store_events.JOB_PROCESS_STORE_EVENT: process_store_event,
        carts.JOB_ABANDON_CART: abandon_cart,
        store_sync.JOB_SETUP_STORE: setup_store,
        store_sync.JOB_POLL_STORE: poll_store,
        payouts.JOB_SYNC_PAYOUTS: sync_payouts,
        daily_figures.JOB_REFRESH_FIGURES: refresh_figures,
        payments.JOB_PUSH_PAYMENT: push_payment,
        rewards.JOB_CREATE_CODE: create_reward_code,
        checkout.JOB_SETTLE_CHECKOUT: settle_checkout,
        autopay.JOB_SAVE_METHOD: save_payment_method,
        autopay.JOB_CHARGE: charge_period,
        autopay.JOB_DEADLINE: charge_deadline,
        JOB_DELIVER_WEBHOOK: deliver_sandbox_webhook,
    }
