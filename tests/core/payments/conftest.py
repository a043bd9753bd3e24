"""Provider tests run through the real app (webhook endpoint, pages, jobs): the web fixtures,
and every provider API pointed at the test's local fake server."""

import pytest

from tests.core.web.conftest import (  # noqa: F401
    app,
    client,
    ctx,
    env,
    run_jobs,
    settings,
    shop,
)
from tests.support.providers import use_fake_apis


@pytest.fixture
def fake(app, env, httpserver):  # noqa: F811 (pytest passes the imported fixtures)
    return use_fake_apis(app, env, httpserver.url_for("/"))
