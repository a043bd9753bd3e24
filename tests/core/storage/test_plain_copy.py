"""`plain_copy` makes an instance as SQLAlchemy's loader does: it holds the values given,
records no change for them, tracks the ones set afterwards, and is a whole instance (a session
writes it like any other)."""

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from core.merchant_profile import MerchantProfile
from core.services.accounts import create_merchant
from core.storage.models import Merchant, plain_copy


def test_a_plain_copy_holds_its_values_and_tracks_later_changes(ctx):
    shop = create_merchant(ctx, MerchantProfile(name="Boutique Lune"))
    with ctx.db.transaction() as session:
        row = session.execute(select(Merchant.__table__).where(Merchant.id == shop.id)).one()
    copy = Merchant.copy_of(row._asdict())
    assert (copy.id, copy.name, copy.created_at) == (shop.id, "Boutique Lune", shop.created_at)
    state = inspect(copy)
    assert state.transient and not state.modified
    copy.brand_color = "#ffe14d"
    assert state.modified and state.attrs.brand_color.history.added == ["#ffe14d"]


def test_a_session_writes_a_plain_copy_like_any_instance(ctx):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    template = create_merchant(ctx, MerchantProfile(name="Modèle"))
    values = {
        column.key: getattr(template, column.key)
        for column in Merchant.__table__.c
        if column.key != "id"
    }
    new = plain_copy(Merchant, {**values, "name": "Copie", "created_at": now})
    with ctx.db.transaction() as session:
        session.add(new)
    with ctx.db.transaction() as session:
        stored = session.get(Merchant, new.id)
        assert stored is not None and (stored.name, stored.created_at) == ("Copie", now)
