"""The group commit's transaction (`Database.pipelined_transaction`): on PostgreSQL its
statements go in psycopg's pipeline mode, results read where they are asked for; on both
engines it commits everything or nothing, and its connection goes back to the pool fit for
any other use, whether it committed, failed in a statement sent late, or was interrupted."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.storage.database import Database
from core.storage.models import ApiKey, Merchant
from tests.support.factories import unsaved_merchant

NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    """One pooled connection: each transaction gets the one the last gave back."""
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def key_row(merchant_id: int, public_id: str) -> dict:
    return {
        "merchant_id": merchant_id,
        "name": "shop",
        "public_id": public_id,
        "secret_hash": "0" * 64,
        "created_at": NOW,
    }


def count(db: Database, model) -> int:
    with db.transaction() as session:  # reads rows: fails on a connection left pipelined
        return session.scalar(select(func.count()).select_from(model))


def test_objects_statements_and_results_read_midway_all_commit(db):
    with db.pipelined_transaction() as session:
        session.add(unsaved_merchant("Lune"))
        session.flush()
        merchant_id = session.scalar(select(Merchant.id).where(Merchant.name == "Lune"))
        session.execute(insert(ApiKey), key_row(merchant_id, "pk_one"))
        returned = session.execute(
            insert(ApiKey).returning(ApiKey.public_id), key_row(merchant_id, "pk_two")
        ).scalar_one()
        session.add(unsaved_merchant("Soleil"))
    assert returned == "pk_two"
    assert (count(db, Merchant), count(db, ApiKey)) == (2, 2)


def test_a_statement_failing_when_sent_late_undoes_the_whole_transaction(db):
    with db.transaction() as session:
        session.add(unsaved_merchant("Lune"))
    merchant_id = count(db, Merchant)
    with pytest.raises(IntegrityError), db.pipelined_transaction() as session:
        session.add(unsaved_merchant("Soleil"))
        session.execute(insert(ApiKey), key_row(merchant_id, "pk_same"))
        session.execute(insert(ApiKey), key_row(merchant_id, "pk_same"))  # a duplicate
    assert (count(db, Merchant), count(db, ApiKey)) == (1, 0)
    with db.pipelined_transaction() as session:  # and the next one works
        session.execute(insert(ApiKey), key_row(merchant_id, "pk_other"))
    assert count(db, ApiKey) == 1


def test_an_interrupted_transaction_writes_nothing(db):
    with pytest.raises(RuntimeError), db.pipelined_transaction() as session:
        session.add(unsaved_merchant("Lune"))
        session.flush()
        raise RuntimeError("interrupted")
    assert count(db, Merchant) == 0
