"""Shared fixtures: a fresh, migrated database per test on SQLite and on a real PostgreSQL.

The PostgreSQL server is started once per session from the machine's binaries. Where none is
installed the PostgreSQL variants are skipped with the reason, except under CI, where that is a
failure: CI must prove both engines.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.encryption import Keyring, generate_key
from core.services.context import ServiceContext
from core.storage.database import Database
from core.storage.migrate import upgrade
from tests.support.clock import FakeClock
from tests.support.postgres import PostgresServer, find_bin_dir
from tests.support.redis import RedisServer

ENGINES = ["sqlite", "postgresql"]
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: CI must run the suite on PostgreSQL too")
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql)")
    server = PostgresServer(bin_dir)
    server.start()
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE paylink_template"))
    template = create_engine(server.url("paylink_template"))
    upgrade(template)
    template.dispose()
    server.admin = admin  # type: ignore[attr-defined]
    yield server
    admin.dispose()
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        path = tmp_path / "paylink.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    with server.admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE paylink_template"))
    yield server.url(name)
    with server.admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return Keyring.parse(f"test1:{generate_key()}")


@pytest.fixture
def ctx(database: Database, keyring: Keyring, clock: FakeClock) -> ServiceContext:
    return ServiceContext(db=database, keyring=keyring, clock=clock, job_max_attempts=3)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: CI must check shared rate limits")
        pytest.skip("redis-server not found (apt-get install redis-server)")
    server = RedisServer(binary)
    yield server
    server.stop()
