"""The merchant's view of their jobs: list them (dead ones first of interest) and retry one."""

from __future__ import annotations

from sqlalchemy import select

from core.errors import NotFound, ValidationError
from core.jobs import retry_dead_job
from core.services.context import ServiceContext
from core.storage.models import Job, JobStatus


def list_jobs(
    ctx: ServiceContext, merchant_id: int, status: JobStatus | None, limit: int
) -> list[Job]:
    statement = select(Job).where(Job.merchant_id == merchant_id)
    if status is not None:
        statement = statement.where(Job.status == status)
    with ctx.db.transaction() as session:
        return list(session.scalars(statement.order_by(Job.id.desc()).limit(limit)))


def retry_job(ctx: ServiceContext, merchant_id: int, job_id: int) -> Job:
    """Put a dead job back in the queue with fresh attempts, once its cause is fixed."""
    with ctx.db.transaction() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.merchant_id != merchant_id:
            raise NotFound(f"no job {job_id}")
        if job.status != JobStatus.DEAD:
            raise ValidationError(f"job {job_id} is {job.status}: only dead jobs are retried")
        retry_dead_job(job, ctx.clock())
        return job
