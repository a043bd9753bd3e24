"""The web app fixtures of tests/core/web, shared: security tests drive the real endpoints."""

from tests.core.web.conftest import (  # noqa: F401 (fixtures)
    app,
    auth,
    client,
    ctx,
    env,
    run_jobs,
    sandbox_account,
    settings,
    shop,
)
