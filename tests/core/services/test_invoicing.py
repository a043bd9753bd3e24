from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from core.events import CustomerDetails, SourceKind
from core.invoices import InvoiceStatus
from core.jobs import JobQueue, Worker
from core.services import invoice_creation, invoicing
from core.services.accounts import connect_store
from core.services.invoice_queries import InvoiceFilter, invoice_timeline, list_invoices
from core.services.job_handlers import core_handlers
from core.storage.models import Invoice, Job, TimelineEvent
from tests.support.factories import content, merchant, order, provider_env
from tests.support.sql_counts import counted_statements


def count(ctx, model) -> int:
    with ctx.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def job_kinds(ctx) -> list[str]:
    with ctx.db.transaction() as session:
        return sorted(session.scalars(select(Job.kind)))


def test_creates_an_open_invoice_with_totals_number_code_and_deadline(ctx, clock):
    shop = merchant(ctx)
    invoice, created = invoice_creation.create_invoice(ctx, shop.id, order())
    assert created
    assert (invoice.status, invoice.total, invoice.currency) == (InvoiceStatus.OPEN, 7550, "EUR")
    assert invoice.number == f"F-{clock().year}-000001"
    assert len(invoice.link_code) == 12
    assert invoice.due_at == clock() + timedelta(days=7)
    assert [line.label for line in invoice.lines] == ["Article 1"]
    assert [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)] == ["created"]


def test_the_same_order_twice_gives_the_same_invoice(ctx):
    shop = merchant(ctx)
    store = connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"token": "shpat_x"})
    first, _ = invoice_creation.create_invoice(ctx, shop.id, order("450789469", store_id=store.id))
    again, created = invoice_creation.create_invoice(
        ctx, shop.id, order("450789469", store_id=store.id)
    )
    assert not created and again.id == first.id
    cart, _ = invoice_creation.create_invoice(
        ctx, shop.id, order("450789469", store_id=store.id, source_kind=SourceKind.CART)
    )
    assert cart.id != first.id  # an abandoned checkout with the same id is another source
    assert count(ctx, Invoice) == 2


def test_the_same_reference_with_another_total_is_a_conflict(ctx):
    shop = merchant(ctx)
    invoice_creation.create_invoice(ctx, shop.id, order("ref-1"))
    with pytest.raises(Conflict, match="different total"):
        invoice_creation.create_invoice(ctx, shop.id, order("ref-1", content=content("99.00")))


def test_the_same_order_from_8_threads_at_once_gives_one_invoice(ctx):
    shop = merchant(ctx)
    store = connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"token": "t"})
    request = order("820982911946154508", store_id=store.id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: invoice_creation.create_invoice(ctx, shop.id, request), range(8))
        )
    assert len({invoice.id for invoice, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count(ctx, Invoice) == 1
    assert count(ctx, TimelineEvent) == 1
    # once, not eight
    assert job_kinds(ctx) == ["documents.render", "invoice.mark_overdue", "messages.send_step"]
    # the losers' numbers were rolled back with them: numbering stays continuous
    second, _ = invoice_creation.create_invoice(ctx, shop.id, order("2", store_id=store.id))
    assert second.number.endswith("-000002")


def test_bad_input_writes_nothing(ctx):
    shop = merchant(ctx)
    bad = order(customer=CustomerDetails("X", "marie@example.fr", "12345", "fr"))
    with pytest.raises(ValidationError, match="phone"):
        invoice_creation.create_invoice(ctx, shop.id, bad)
    with pytest.raises(NotFound):
        invoice_creation.create_invoice(ctx, shop.id, order(store_id=999))
    with pytest.raises(NotFound):
        invoice_creation.create_invoice(ctx, 999, order())
    assert count(ctx, Invoice) == count(ctx, Job) == 0


def test_contact_details_are_encrypted_at_rest_and_found_by_blind_index(ctx):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    assert "marie" not in (invoice.customer_email_ciphertext or "")
    assert "612345678" not in (invoice.customer_phone_ciphertext or "")
    customer = invoicing.customer_of(invoice, ctx)
    assert (customer.email, customer.phone) == ("marie@example.fr", "+33612345678")
    found = list_invoices(ctx, shop.id, InvoiceFilter(customer_email="marie@example.fr"))
    assert [i.id for i in found.invoices] == [invoice.id]
    assert not list_invoices(ctx, shop.id, InvoiceFilter(customer_email="x@example.fr")).invoices


def test_merchants_never_see_each_others_invoices(ctx):
    one, two = merchant(ctx, "One"), merchant(ctx, "Two")
    invoice, _ = invoice_creation.create_invoice(ctx, one.id, order())
    with pytest.raises(NotFound):
        invoicing.load_invoice_by_id(ctx, two.id, invoice.id)
    assert not list_invoices(ctx, two.id, InvoiceFilter()).invoices
    other, created = invoice_creation.create_invoice(
        ctx, two.id, order()
    )  # same reference, other merchant
    assert created and other.number.endswith("-000001")


def test_drafts_get_deadlines_only_when_opened(ctx):
    shop = merchant(ctx)
    draft, _ = invoice_creation.create_invoice(ctx, shop.id, order(draft=True))
    assert draft.status == InvoiceStatus.DRAFT and count(ctx, Job) == 0
    opened = invoicing.open_invoice(ctx, shop.id, draft.id)
    assert opened.status == InvoiceStatus.OPEN
    assert job_kinds(ctx) == ["documents.render", "invoice.mark_overdue", "messages.send_step"]
    with pytest.raises(InvalidTransition):
        invoicing.open_invoice(ctx, shop.id, draft.id)


def test_void_is_recorded_with_its_reason(ctx):
    shop = merchant(ctx)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    voided = invoicing.void_invoice(ctx, shop.id, invoice.id, "customer cancelled")
    assert voided.status == InvoiceStatus.VOID
    events = invoice_timeline(ctx, shop.id, invoice.id)
    assert events[-1].kind == "voided" and events[-1].data == {"reason": "customer cancelled"}


def test_deadline_jobs_mark_overdue_and_expire_on_time(ctx, clock):
    shop = merchant(ctx)
    late, _ = invoice_creation.create_invoice(ctx, shop.id, order("late"))
    flash, _ = invoice_creation.create_invoice(
        ctx,
        shop.id,
        order("flash", expires_at=clock() + timedelta(hours=2), due_at=clock() + timedelta(days=1)),
    )
    worker = Worker(JobQueue(ctx.db, clock), core_handlers(ctx, provider_env(ctx)))
    worker.run(until_idle=True)
    assert invoicing.load_invoice_by_id(ctx, shop.id, late.id).status == InvoiceStatus.OPEN
    clock.advance(hours=2)
    worker.run(until_idle=True)
    assert invoicing.load_invoice_by_id(ctx, shop.id, flash.id).status == InvoiceStatus.EXPIRED
    clock.advance(days=7)
    worker.run(until_idle=True)
    assert invoicing.load_invoice_by_id(ctx, shop.id, late.id).status == InvoiceStatus.OVERDUE
    # the expired one stays expired: its overdue deadline changes nothing
    assert invoicing.load_invoice_by_id(ctx, shop.id, flash.id).status == InvoiceStatus.EXPIRED
    kinds = [e.kind for e in invoice_timeline(ctx, shop.id, late.id)]
    assert kinds == ["created", "message_queued", "document_made", "message_sent", "overdue"]


def test_listing_filters_and_pages_newest_first(ctx, clock):
    shop = merchant(ctx)
    ids = []
    for n in range(5):
        invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order(f"o{n}"))
        ids.append(invoice.id)
        clock.advance(hours=1)
    invoicing.void_invoice(ctx, shop.id, ids[0], "")
    page = list_invoices(ctx, shop.id, InvoiceFilter(limit=2))
    assert [i.id for i in page.invoices] == ids[:-3:-1] and page.has_more
    rest = list_invoices(ctx, shop.id, InvoiceFilter(limit=10, starting_after=page.invoices[-1].id))
    assert [i.id for i in rest.invoices] == ids[2::-1] and not rest.has_more
    voided = list_invoices(ctx, shop.id, InvoiceFilter(status=InvoiceStatus.VOID))
    assert [i.id for i in voided.invoices] == [ids[0]]
    start = clock() - timedelta(hours=3)
    window = list_invoices(
        ctx, shop.id, InvoiceFilter(created_from=start, created_to=start + timedelta(hours=2))
    )
    assert [i.id for i in window.invoices] == [ids[3], ids[2]]


def stored_lines(ctx) -> dict[str, list[str]]:
    """Each stored invoice's line labels, by its external reference."""
    with ctx.db.reading() as session:
        return {
            invoice.external_id: [line.label for line in invoice.lines]
            for invoice in session.scalars(select(Invoice))
        }


def prepared(ctx, creations):
    """Each (merchant, request) prepared as `create_invoice_for` does before the group
    commit."""
    return [invoice_creation.prepare_invoice(ctx, shop, request) for shop, request in creations]


def test_creations_waiting_for_one_commit_are_a_few_statements(ctx):
    """However many creations share a commit: the stores checked in one read, each merchant's
    numbers taken in one UPDATE, then one INSERT each for the invoices, their lines, their
    timeline and their jobs; every line under its own invoice, numbers continuous per
    merchant, a draft without jobs."""
    lune, soleil = merchant(ctx), merchant(ctx, "Boutique Soleil")
    store = connect_store(ctx, soleil.id, "shopify", "soleil.myshopify.com", {"token": "t"})
    batch = prepared(
        ctx,
        [
            (lune, order("a", content=content("10.00", "20.00"))),
            (soleil, order("b", store_id=store.id, content=content("30.00"))),
            (lune, order("c", content=content("40.00"), draft=True)),
            (lune, order("d", content=content("50.00", "60.00", "70.00"))),
        ],
    )
    with counted_statements(ctx.db.engine) as counted, ctx.db.transaction() as session:
        made = invoice_creation.Creations(ctx)(session, batch)
    assert len(counted.statements) == 7, counted.statements
    numbers = [(invoice.external_id, invoice.number[-2:]) for invoice in made]
    assert numbers == [("a", "01"), ("b", "01"), ("c", "02"), ("d", "03")]
    assert stored_lines(ctx) == {
        "a": ["Article 1", "Article 2"],
        "b": ["Article 1"],
        "c": ["Article 1"],
        "d": ["Article 1", "Article 2", "Article 3"],
    }
    for invoice in made:  # the copies handed back are what was stored
        stored = invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id)
        assert (stored.number, stored.link_code, stored.total) == (
            invoice.number,
            invoice.link_code,
            invoice.total,
        )
        assert [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)] == [
            "created"
        ]
    with ctx.db.reading() as session:
        jobs = session.scalars(select(Job.payload)).all()
    assert {job["invoice_id"] for job in jobs} == {made[0].id, made[1].id, made[3].id}


def test_a_failing_creation_leaves_its_batch_unwritten(ctx):
    """A reference already invoiced fails the whole batch (the group commit replays it one
    creation at a time): nothing of it is kept, and no number is spent."""
    shop = merchant(ctx)
    invoice_creation.create_invoice(ctx, shop.id, order("a"))
    with pytest.raises(IntegrityError), ctx.db.transaction() as session:
        batch = prepared(ctx, [(shop, order("b")), (shop, order("a"))])
        invoice_creation.Creations(ctx)(session, batch)
    assert count(ctx, Invoice) == 1
    assert invoice_creation.create_invoice(ctx, shop.id, order("b"))[0].number.endswith("-000002")


def test_creations_from_many_threads_are_numbered_without_gaps(ctx):
    """Thirty creations at once for two merchants, a third of them replays: one invoice per
    reference, each with its own lines, each merchant's numbers continuous from 1."""
    shops = [merchant(ctx), merchant(ctx, "Boutique Soleil")]

    def create(n):
        shop = shops[n % 2]
        reference = f"ref-{n % 20}"
        request = order(reference, content=content(*(["9.90"] * (1 + n % 20 % 3))))
        return invoice_creation.create_invoice(ctx, shop.id, request)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(create, range(30)))
    invoices = {invoice.id: invoice for invoice, _ in results}
    assert sum(created for _, created in results) == len(invoices) == 20
    for shop in shops:
        numbers = sorted(i.number for i in invoices.values() if i.merchant_id == shop.id)
        assert [number[-6:] for number in numbers] == [f"{n:06d}" for n in range(1, 11)]
    lines = stored_lines(ctx)
    assert {ref: len(labels) for ref, labels in lines.items()} == {
        f"ref-{n}": 1 + n % 3 for n in range(20)
    }
    assert count(ctx, Invoice) == 20
