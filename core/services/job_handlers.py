"""The job kinds the core defines, each bound to the use case that performs it."""

from __future__ import annotations

from core.jobs import ClaimedJob, Handler
from core.services import invoicing
from core.services.context import ServiceContext


def core_handlers(ctx: ServiceContext) -> dict[str, Handler]:
    def mark_overdue(job: ClaimedJob) -> None:
        invoicing.mark_overdue(ctx, job.payload["merchant_id"], job.payload["invoice_id"])

    def expire(job: ClaimedJob) -> None:
        invoicing.expire_invoice(ctx, job.payload["merchant_id"], job.payload["invoice_id"])

    return {invoicing.JOB_MARK_OVERDUE: mark_overdue, invoicing.JOB_EXPIRE: expire}
