"""What an operator watches, read from the database at each scrape: jobs by kind and status
and how late the oldest due one is, messages by channel and status, payments by provider,
webhooks received by platform or provider and whether they were processed. Read from the
tables, the figures are the same whichever process (web worker or job worker) is scraped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core.services.context import ServiceContext
from core.storage.models import Job, JobStatus, Message, Payment, ProviderEvent, StoreEvent


@dataclass(frozen=True, slots=True)
class OperationsSnapshot:
    jobs: list[tuple[str, str, int]]  # kind, status, count
    oldest_due_seconds: list[tuple[str, float]]  # kind, seconds the oldest due job waits
    messages: list[tuple[str, str, int]]  # channel, status, count
    payments: list[tuple[str, int, int]]  # provider, count, minor units (all currencies)
    webhooks: list[tuple[str, str, str, int]]  # source, name, state, count


def snapshot(ctx: ServiceContext) -> OperationsSnapshot:
    now = ctx.clock()
    with ctx.db.reading() as session:
        jobs = session.execute(
            select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
        ).all()
        oldest = session.execute(
            select(Job.kind, func.min(Job.run_at))
            .where(Job.status == JobStatus.PENDING, Job.run_at <= now)
            .group_by(Job.kind)
        ).all()
        messages = session.execute(
            select(Message.channel, Message.status, func.count()).group_by(
                Message.channel, Message.status
            )
        ).all()
        payments = session.execute(
            select(
                Payment.provider, func.count(), func.coalesce(func.sum(Payment.amount), 0)
            ).group_by(Payment.provider)
        ).all()
        stores = session.execute(
            select(
                StoreEvent.platform,
                StoreEvent.processed_at.is_not(None),
                func.count(),
            ).group_by(StoreEvent.platform, StoreEvent.processed_at.is_not(None))
        ).all()
        providers = session.execute(
            select(
                ProviderEvent.provider,
                ProviderEvent.processed_at.is_not(None),
                func.count(),
            ).group_by(ProviderEvent.provider, ProviderEvent.processed_at.is_not(None))
        ).all()
    return OperationsSnapshot(
        jobs=[(kind, _value(status), count) for kind, status, count in jobs],
        oldest_due_seconds=[(kind, _age(now, at)) for kind, at in oldest],
        messages=[(channel, _value(status), count) for channel, status, count in messages],
        payments=[(provider, count, int(total)) for provider, count, total in payments],
        webhooks=[
            ("store", name, "processed" if done else "waiting", count)
            for name, done, count in stores
        ]
        + [
            ("provider", name, "processed" if done else "waiting", count)
            for name, done, count in providers
        ],
    )


def _value(status: object) -> str:
    return str(getattr(status, "value", status))


def _age(now: datetime, at: datetime) -> float:
    return max((now - at).total_seconds(), 0.0)
