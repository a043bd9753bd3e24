"""Provider tests run through the real app (webhook endpoint, pages, jobs): the web fixtures."""

from tests.core.web.conftest import (  # noqa: F401
    app,
    client,
    ctx,
    env,
    run_jobs,
    settings,
    shop,
)
