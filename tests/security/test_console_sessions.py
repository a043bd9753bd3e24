"""Console sessions end on the server: a session cookie copied before sign-out (or before a
password change) no longer signs anyone in, and changing the password needs the current one."""

from click.testing import CliRunner
from flask.cli import ScriptInfo

from core.cli import main
from tests.support.console import EMAIL, PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "another long password"


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie (stolen, or kept)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    assert thief.get("/console/invoices").status_code == 200
    return thief


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, client, ctx, shop):
    owner = sign_in(client, ctx, shop.id)
    thief = copy_of(app, owner)
    page = owner.get("/console/invoices").get_data(as_text=True)
    assert owner.post("/console/logout", data={"csrf_token": csrf_token(page)}).status_code == 303
    assert thief.get("/console/invoices").status_code == 302


def change_password(client, current: str):
    page = client.get("/console/password").get_data(as_text=True)
    form = {"current": current, "new": NEW_PASSWORD, "again": NEW_PASSWORD}
    return client.post("/console/password", data={**form, "csrf_token": csrf_token(page)})


def test_a_password_change_needs_the_current_password_and_ends_other_sessions(
    app, client, ctx, shop
):
    owner = sign_in(client, ctx, shop.id)
    thief = copy_of(app, owner)
    refused = change_password(owner, "not my password at all")
    assert refused.status_code == 422 and "mot de passe actuel" in refused.get_data(as_text=True)
    assert thief.get("/console/invoices").status_code == 200
    assert change_password(owner, PASSWORD).status_code == 303
    assert owner.get("/console/invoices").status_code == 200  # this browser: a fresh session
    assert thief.get("/console/invoices").status_code == 302


def test_set_password_from_the_command_line_ends_every_session(app, client, ctx, shop):
    owner = sign_in(client, ctx, shop.id)
    info = ScriptInfo(create_app=lambda: app)
    result = CliRunner().invoke(
        main, ["set-password", "--email", EMAIL, "--password", NEW_PASSWORD], obj=info
    )
    assert result.exit_code == 0 and "sessions are ended" in result.output, result.output
    assert owner.get("/console/invoices").status_code == 302
