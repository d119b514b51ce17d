"""The admin page's Webhooks and Admins and audit sections in real Chromium, against the real
server (started with --webhooks-allow-private, so that a receiver on 127.0.0.1 is allowed).

- The owner registers a webhook that points at a receiver run by this test, copies its signing
  secret (shown once: gone after a reload), presses "Send a test": the receiver gets a `ping`
  signed with that secret (checked with the recipe of docs/PROGRAMMES.md) and the page's delivery
  log shows it delivered. Then the webhook is deleted.
- The owner creates the admin Rosa and reads her key from the page; Rosa signs in with it in a
  browser of her own, is told that only the owner manages admins, and creates a cohort. The
  owner's audit log shows her `cohort.created` under her name, and the owner's `admin.created`.
  The owner gives Rosa a new key (the old one is refused by the page) and disables her (the new
  one is refused too).
- The audit log pages: with 10 entries a page, "Next page" shows the entries after the first 10.

Set TANDEM_E2E_SCREENSHOTS=/some/dir for a screenshot of every stage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from axe import assert_accessible
from tandem_pages import WAIT_MS

from clients.admin import AsyncAdminApi
from clients.webhook_receiver import verify

REFUSED = "That admin key was not accepted. Check it and try again."



@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: keeps every request's headers and raw body."""

    url: str = ""
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=204)


@pytest.fixture(scope="module")
def hooks_server(own_server: Any) -> Iterator[Any]:
    with own_server(flags=["--webhooks-allow-private"]) as server:
        yield server


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/hook", r.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    r.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield r
    finally:
        await runner.cleanup()


async def shot(page: Any, name: str) -> None:
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if folder:
        await page.evaluate("() => window.scrollTo(0, 0)")
        await page.screenshot(path=os.path.join(folder, f"adminui-{name}.png"), full_page=True)


async def admin_page(browser: Any, **context: Any) -> Any:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, **context)
    page = await ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda err: print(f"[page error] {err}"))
    # Delete, rotate and disable ask "are you sure?"; Playwright would otherwise dismiss it.
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    return page


async def sign_in(page: Any, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}/admin")
    await page.get_by_label("Admin key", exact=True).fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def open_view(page: Any, name: str) -> None:
    await page.locator("#views-nav").get_by_role("button", name=name, exact=True).click()


@contextlib.asynccontextmanager
async def rest(server: Any) -> AsyncIterator[AsyncAdminApi]:
    async with AsyncAdminApi(server.base_url, server.admin_key) as api:
        yield api


async def test_the_owner_registers_a_webhook_tests_it_and_deletes_it(
    hooks_server: Any, browser: Any, receiver: Receiver
) -> None:
    owner = await admin_page(browser, permissions=["clipboard-read", "clipboard-write"])
    await sign_in(owner, hooks_server.base_url, hooks_server.admin_key)
    await open_view(owner, "Webhooks")
    await owner.locator("#webhooks-list").get_by_text("No webhooks yet.").wait_for()

    form = owner.locator("#webhook-form")
    await form.get_by_label("URL").fill(receiver.url)
    await form.get_by_label("Description (optional)").fill("Attendance to the CRM")
    await form.get_by_label("participant.joined").check()
    await form.get_by_label("session.ended").check()
    await owner.get_by_role("button", name="Register webhook").click()

    # The secret, once, in a read-only field with a Copy button; the focus goes to it.
    secret_field = owner.get_by_label("Signing secret", exact=True)
    await secret_field.wait_for()
    secret = await secret_field.input_value()
    assert len(secret) >= 32
    assert await secret_field.get_attribute("readonly") is not None
    assert await owner.evaluate("() => document.activeElement.id") == "webhook-secret-title"
    await owner.get_by_role("button", name="Copy the signing secret").click()
    await owner.locator("#webhooks-status", has_text="Copied the secret.").wait_for()
    assert await owner.evaluate("() => navigator.clipboard.readText()") == secret
    row = owner.locator("#webhooks-list tbody tr")
    await row.first.wait_for()
    assert await row.count() == 1
    row_text = await row.first.inner_text()
    assert receiver.url in row_text and "Attendance to the CRM" in row_text
    assert "participant.joined" in row_text and "session.ended" in row_text
    await shot(owner, "1-webhook-registered")
    await assert_accessible(owner, "the admin page, webhooks with a new secret shown")

    # After a reload the secret is nowhere on the page (the list has no secrets).
    await owner.reload()
    await open_view(owner, "Webhooks")
    await row.first.wait_for()
    assert await owner.get_by_label("Signing secret", exact=True).count() == 0
    assert secret not in await owner.content()

    # "Send a test": the receiver gets a signed ping, and the page's log shows it delivered.
    await owner.get_by_role("button", name=f"Send a test to {receiver.url}").click()
    await asyncio.wait_for(receiver.arrived.wait(), 15)
    headers, body = receiver.got[0]
    assert verify(secret, headers, body), headers
    ping = json.loads(body)
    hooks = await owner.evaluate("""async (key) => (await (await fetch('/api/webhooks',
        {headers: {Authorization: 'Bearer ' + key}})).json()).webhooks""", hooks_server.admin_key)
    assert ping["type"] == "ping" and ping["data"] == {"webhook_id": hooks[0]["id"]}
    assert headers["Tandem-Webhook-Id"] == ping["id"]
    log = owner.locator("#webhook-deliveries")
    await log.get_by_role("heading", name=f"Deliveries to {receiver.url}").wait_for()
    delivered = log.locator("tbody tr", has_text="ping")
    await delivered.filter(has_text="delivered").wait_for()
    assert "HTTP 204" in await delivered.inner_text()
    await shot(owner, "2-webhook-test-delivered")
    await assert_accessible(owner, "the admin page, webhooks with the delivery log")

    # Delete: the list is empty, and so is the server's.
    await owner.get_by_role("button", name=f"Delete the webhook to {receiver.url}").click()
    await owner.locator("#webhooks-list").get_by_text("No webhooks yet.").wait_for()
    deleted = f"Deleted the webhook to {receiver.url}."
    await owner.locator("#webhooks-status", has_text=deleted).wait_for()
    async with rest(hooks_server) as api:
        assert (await api.call("GET", "/api/webhooks"))["webhooks"] == []
    await shot(owner, "3-webhook-deleted")
    await owner.context.close()


async def test_the_owner_makes_an_admin_whose_actions_are_audited_then_rotates_and_disables(
    hooks_server: Any, browser: Any
) -> None:
    owner = await admin_page(browser)
    await sign_in(owner, hooks_server.base_url, hooks_server.admin_key)
    await open_view(owner, "Admins and audit")
    await owner.get_by_label("New admin's name").fill("Rosa")
    await owner.get_by_label("Email (optional)").fill("rosa@example.org")
    await owner.get_by_role("button", name="Create admin").click()
    key_field = owner.get_by_label("Admin key of Rosa", exact=True)
    await key_field.wait_for()
    rosa_key = await key_field.input_value()
    assert len(rosa_key) >= 32
    assert await key_field.get_attribute("readonly") is not None
    await owner.get_by_role("button", name="Copy the key of Rosa").wait_for()
    rosa_row = owner.locator("#admins-list tbody tr", has_text="Rosa")
    await rosa_row.wait_for()
    assert "Active" in await rosa_row.inner_text()
    await shot(owner, "4-admin-created")
    await assert_accessible(owner, "the admin page, admins with a new key shown")

    # Rosa, in her own browser: no admins list for her; she creates a cohort.
    rosa = await admin_page(browser)
    await sign_in(rosa, hooks_server.base_url, rosa_key)
    await open_view(rosa, "Admins and audit")
    await rosa.get_by_text("Only the owner creates, rotates and disables admins").wait_for()
    assert await rosa.locator("#admin-form").is_hidden()
    assert await rosa.locator("#admins-list tbody tr").count() == 0
    assert await rosa.locator("#admins-status").inner_text() == ""
    await shot(rosa, "5-rosa-not-owner")
    await open_view(rosa, "Programme")
    cohort_form = rosa.locator("#cohort-form")
    await cohort_form.get_by_label("Programme").fill("Peer mentoring")
    await cohort_form.get_by_label("Cohort name").fill("Rosa's cohort")
    await rosa.get_by_role("button", name="Create cohort").click()
    await rosa.get_by_role("heading", name="People of Rosa's cohort").wait_for()

    # The owner's audit log: Rosa's cohort under her name, the owner's admin.created.
    await owner.get_by_role("button", name="From the start").click()
    audit = owner.locator("#audit-list")
    rosa_entry = audit.locator("tbody tr", has_text="cohort.created").filter(has_text="Rosa")
    await rosa_entry.wait_for()
    created = audit.locator("tbody tr", has_text="admin.created")
    assert "owner" in await created.inner_text()
    await shot(owner, "6-audit-with-rosa")
    await assert_accessible(owner, "the admin page, the audit log")

    # A new key for Rosa: shown once; her old key is refused by the page, the new one works.
    await rosa_row.get_by_role("button", name="New key for Rosa").click()
    rotated = "Rotated Rosa's key: the old one no longer works."
    await owner.locator("#admins-status", has_text=rotated).wait_for()
    new_key = await owner.get_by_label("Admin key of Rosa", exact=True).input_value()
    assert new_key and new_key != rosa_key
    await shot(owner, "7-key-rotated")
    await sign_in(rosa, hooks_server.base_url, rosa_key)
    await rosa.locator("#status", has_text=REFUSED).wait_for()
    assert await rosa.locator("#key-panel").is_visible()
    await shot(rosa, "8-old-key-refused")
    await assert_accessible(rosa, "the admin page, sign-in refused")
    await sign_in(rosa, hooks_server.base_url, new_key)
    await rosa.locator("#views-nav").wait_for()

    # Disabled: the table says so, and her new key is refused too.
    await rosa_row.get_by_role("button", name="Disable Rosa").click()
    await owner.locator("#admins-status", has_text="Disabled Rosa.").wait_for()
    await rosa_row.filter(has_text="Disabled").wait_for()
    assert await rosa_row.get_by_role("button").count() == 0
    await shot(owner, "9-rosa-disabled")
    await sign_in(rosa, hooks_server.base_url, new_key)
    await rosa.locator("#status", has_text=REFUSED).wait_for()
    for page in (rosa, owner):
        await page.context.close()


async def test_the_audit_log_pages(hooks_server: Any, browser: Any) -> None:
    async with rest(hooks_server) as api:
        for i in range(12):
            await api.call("POST", "/api/cohorts", {"programme": "Paging", "name": f"C{i:02}"},
                           expect=201)
        everything = await api.call("GET", "/api/audit", params={"limit": "500"})
    total = len(everything["entries"])
    assert total > 10
    owner = await admin_page(browser)
    await sign_in(owner, hooks_server.base_url, hooks_server.admin_key)
    await open_view(owner, "Admins and audit")
    audit = owner.locator("#audit-list")
    await audit.locator("tbody tr").first.wait_for()
    await owner.get_by_label("Entries per page").select_option("10")
    await owner.locator("#audit-form").get_by_role("button", name="Show").click()
    await audit.get_by_text("Audit log, entries 1 to 10").wait_for()
    assert await audit.locator("tbody tr").count() == 10
    first_page = await audit.inner_text()
    await owner.get_by_role("button", name="Next page").click()
    last = min(20, total)
    await audit.get_by_text(f"Audit log, entries 11 to {last}").wait_for()
    assert await audit.locator("tbody tr").count() == last - 10
    assert await owner.evaluate("() => document.activeElement.id") == "audit-title"
    second_page = await audit.inner_text()
    eleventh = everything["entries"][10]["target"]
    assert eleventh in second_page and eleventh not in first_page
    await shot(owner, "10-audit-second-page")
    await owner.get_by_role("button", name="Previous page").click()
    await audit.get_by_text("Audit log, entries 1 to 10").wait_for()
    assert await audit.inner_text() == first_page
    assert await owner.get_by_role("button", name="Previous page").is_hidden()
    # One action only: the twelve cohorts of this test among them.
    await owner.get_by_label("Only this action (optional)").fill("cohort.created")
    await owner.get_by_label("Entries per page").select_option("50")
    await owner.locator("#audit-form").get_by_role("button", name="Show").click()
    cohorts = sum(e["action"] == "cohort.created" for e in everything["entries"])
    await audit.get_by_text(f"Audit log (cohort.created only), entries 1 to {cohorts}").wait_for()
    assert await owner.get_by_role("button", name="Next page").is_hidden()
    await owner.context.close()
