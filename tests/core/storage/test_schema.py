from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from core.storage.database import Database
from core.storage.migrate import pending_revisions, upgrade
from core.storage.schema import metadata


def test_migrations_build_exactly_the_models(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert pending_revisions(database.engine) == []


def test_migrating_twice_is_a_no_op(database: Database):
    upgrade(database.engine)
    assert pending_revisions(database.engine) == []


def test_a_new_sqlite_database_is_durable_and_strict(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'new' / 'paylink.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert pending_revisions(database.engine)[0] == "0001"  # nothing applied yet
    database.dispose()
