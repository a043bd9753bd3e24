"""The inboxes of what platforms and providers send (store events, provider events): each
delivery kept once, under its sender's key, with the job that processes it, in the process's
group commit, and a flood of deliveries written a few statements per commit rather than two
statements each: one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING for the deliveries,
one for their jobs.

A delivery is new when its row was inserted; a retry of one already kept (in an earlier commit,
or twice in this batch) is not, and gets no second job: the unique key decides, however many
processes race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from core.jobs import NewJob
from core.services.context import ServiceContext
from core.storage.database import insert_once_statement
from core.storage.driver_write import write_rows


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
        return self.ctx.db.batched_together(self, Delivery(values, merchant_id, payload))

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
            {"event_id": row_id, **delivery.payload},
            f"{self.key_prefix}:{row_id}",
            delivery.values["received_at"],
            delivery.merchant_id,
        )
