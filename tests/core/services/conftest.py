import pytest

from core.storage.database import Database


@pytest.fixture
def other(database_url):
    """Another process's engine on the same database, as the console's, the CLI's or a job
    worker's."""
    db = Database(database_url)
    yield db
    db.dispose()
