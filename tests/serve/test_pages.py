"""The two pages in headless Chromium (Playwright, Debian's Chromium, never a downloaded
browser): a call entered on the dispatcher's page appears, is assigned with one click, and the
nurse's page in another browser context updates by itself; the nurse's buttons and key safe."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import chromium_browser
from tests.serve.conftest import SECRET_RE, LiveServer, Service

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (PyPI 'playwright') is not installed")


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


def _sign_in(page, url: str, token: str) -> None:
    page.set_default_timeout(60000)  # a loaded shared machine; the waits end as soon as the page is there
    page.goto(url)
    page.fill("#token", token)
    page.click("#signin")


def test_call_entered_assigned_and_nurse_page_updates(browser, live: tuple[Service, LiveServer]) -> None:
    """Dispatcher enters a call, sees ranked options, assigns #1; the nurse's page shows the call live."""
    svc, server = live
    disp = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    _sign_in(disp, server.url + "/dispatcher", svc.tokens["dispatcher"])
    disp.wait_for_selector("#board tbody tr")
    assert disp.locator("#board tbody tr").count() == len(svc.shifts)
    if disp.evaluate("!!window.L"):
        disp.wait_for_selector(".nz-nurse")
    disp.fill("#call-id", "c-browser")
    disp.fill("#call-lat", "52.99079")
    disp.fill("#call-lon", "6.62299")
    disp.select_option("#call-urgency", "fall")
    disp.click("#call-submit")
    disp.wait_for_selector("#options tr.option")
    first = disp.locator("#options tr.option").first
    shift = first.locator("td").nth(1).inner_text().strip()
    assert shift in svc.shifts
    assert re.search(r"norm met|missed", first.inner_text())
    assert disp.locator("#calls tr[data-call='c-browser']").count() == 1  # the call appears before assigning

    nurse = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    _sign_in(nurse, server.url + "/nurse", svc.tokens[shift])
    nurse.wait_for_function("document.getElementById('asof').textContent.startsWith('as of')")
    nurse.wait_for_selector("#live.on")
    assert nurse.locator("#stops li[data-ref='c-browser']").count() == 0

    first.locator("button.assign").click()
    nurse.wait_for_selector("#stops li[data-ref='c-browser']", timeout=20000)  # pushed, no reload
    disp.wait_for_selector("#calls tr[data-call='c-browser'] td.ok", timeout=20000)
    assert shift in disp.locator("#calls tr[data-call='c-browser']").inner_text()
    body = nurse.content() + disp.content()
    assert not re.search(SECRET_RE, body)
    keep = os.environ.get("NACHTZORG_SCREENSHOTS")
    if keep:  # for a person to look at
        Path(keep).mkdir(parents=True, exist_ok=True)
        disp.screenshot(path=str(Path(keep) / "serve-dispatcher.png"))
        nurse.screenshot(path=str(Path(keep) / "serve-nurse.png"))
    nurse.context.close()
    disp.context.close()


def test_nurse_buttons_and_key_safe(browser, live: tuple[Service, LiveServer]) -> None:
    """Started then Done move the next stop on; the key-safe code appears only after a tap, audited."""
    svc, server = live
    shift = next(r.shift_id for r in svc.plan.routes if r.used)
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    _sign_in(page, server.url + "/nurse", svc.tokens[shift])
    page.wait_for_selector("#btn-started")
    ref = page.get_attribute("#next", "data-ref")
    assert not re.search(SECRET_RE, page.content())
    page.click("#keysafe")
    page.wait_for_function("document.getElementById('code') && /KSC-/.test(document.getElementById('code').textContent)")
    page.click("#btn-started")
    page.wait_for_selector("#btn-done:not([disabled])")
    page.click("#btn-done")
    page.wait_for_function(f"document.getElementById('next').dataset.ref !== {ref!r}", timeout=20000)
    assert page.locator(f"#stops li.done[data-ref='{ref}']").count() == 1
    audit = svc.get("dispatcher", f"/api/nights/{svc.night_id}/key-safe-reveals").json()
    assert [(a["shift"], a["stop"], a["outcome"]) for a in audit] == [(shift, ref, "revealed")]
    kinds = [e["kind"] for e in svc.get("dispatcher", f"/api/nights/{svc.night_id}/events").json()["events"]]
    assert kinds[-2:] == ["started", "done"]
    page.context.close()
