"""The inboxes of what platforms and providers send (store events, provider events): each
delivery kept once, under its sender's key, with the job that processes it, durably before the
sender is answered.

On SQLite, in the process's group commit: a flood of deliveries is one fsync, written a few
statements per commit rather than two statements each: one multi-row INSERT ... ON CONFLICT DO
NOTHING RETURNING for the deliveries, one for their jobs. On PostgreSQL, each delivery alone,
on its request's thread: one statement (the row inserted in a CTE, its job inserted from what
the CTE returned) in autocommit, its own transaction. PostgreSQL flushes the WAL of concurrent
commits together by itself, so a group commit there only added its hand-over to the writer
thread and a BEGIN and a COMMIT round trip (measured: Shopify deliveries 1.4x faster alone).

A delivery is new when its row was inserted; a retry of one already kept (in an earlier commit,
or twice in this batch) is not, and gets no second job: the unique key decides, however many
processes race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core.jobs import NewJob, job_binds, job_per_row
from core.services.context import ServiceContext
from core.storage.database import insert_once_statement, is_postgresql
from core.storage.driver_write import write_alone, write_rows

#: Where a job's payload names the row it processes.
ROW_ID = "event_id"


@dataclass(frozen=True)
class Delivery:
    """A row to keep once; its job's payload (beside the row's id) and merchant."""

    values: dict[str, Any]
    merchant_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Inbox:
    """An inbox table, the columns naming a delivery in it, and the job that processes one
    (`<key_prefix>:<row id>`, due when the delivery was received). Hashable: the deliveries of
    one inbox waiting for the same group commit are written together."""

    ctx: ServiceContext
    model: type[Any]
    unique: tuple[str, ...]
    job_kind: str
    key_prefix: str

    def keep(self, values: dict[str, Any], merchant_id: int | None, **payload: Any) -> bool:
        """Keep the row `values` (True) unless it was kept already (False), once committed."""
        delivery = Delivery(values, merchant_id, payload)
        if is_postgresql(self.ctx.db.engine):
            return self._keep_alone(delivery)
        return self.ctx.db.batched_together(self, delivery)

    def _keep_alone(self, delivery: Delivery) -> bool:
        table = cast(Table, self.model.__table__)
        statement = _kept_with_job(table, self.unique, tuple(delivery.values))
        job = job_binds(
            kind=self.job_kind,
            payload=delivery.payload,
            key_prefix=f"{self.key_prefix}:",
            run_at=delivery.values["received_at"],
            merchant_id=delivery.merchant_id,
            now=self.ctx.clock(),
            max_attempts=self.ctx.job_max_attempts,
        )
        return bool(write_alone(self.ctx.db, statement, {**delivery.values, **job}))

    def __call__(self, session: Session, deliveries: Sequence[Delivery]) -> list[bool]:
        first: dict[tuple[Any, ...], int] = {}
        for index, delivery in enumerate(deliveries):
            first.setdefault(self._key(delivery.values), index)
        rows = [deliveries[index].values for index in first.values()]
        table = cast(Table, self.model.__table__)
        statement = insert_once_statement(session.get_bind().dialect.name, table, self.unique)
        inserted = write_rows(session, statement, rows)
        ids = {tuple(row[1:]): row[0] for row in inserted}
        jobs = [
            self._job(deliveries[index], ids[key]) for key, index in first.items() if key in ids
        ]
        self.ctx.enqueue_many(session, jobs)
        new = {first[key] for key in ids}
        return [index in new for index in range(len(deliveries))]

    def _key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[column] for column in self.unique)

    def _job(self, delivery: Delivery, row_id: int) -> NewJob:
        return NewJob(
            self.job_kind,
            {ROW_ID: row_id, **delivery.payload},
            f"{self.key_prefix}:{row_id}",
            delivery.values["received_at"],
            delivery.merchant_id,
        )


@lru_cache(maxsize=8)
def _kept_with_job(table: Table, unique: tuple[str, ...], columns: tuple[str, ...]) -> Insert:
    """PostgreSQL: a delivery's row (`columns` bound) inserted unless its key is kept already,
    and its job inserted from the id that returned (as `Inbox._job` makes it), in
    one statement: both or neither."""
    kept = (
        postgresql.insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(table.c.id)
        .cte("kept")
    )
    return job_per_row(kept, ROW_ID)
