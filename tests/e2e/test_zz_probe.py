from playwright.sync_api import Page
from .conftest import PHONE
from .test_layout import world  # noqa: F401

def test_probe(page: Page, live_server, world):
    page.set_viewport_size(PHONE)
    page.goto(live_server.at(f"/samrad/{world.slug}/omgang/1/"))
    print(page.evaluate("""() => {
      const limit = document.documentElement.clientWidth; const out = [];
      for (const el of document.querySelectorAll('body *')) {
        const b = el.getBoundingClientRect(); if (b.right <= limit + 0.5) continue;
        let p = el.parentElement, clipped = false;
        while (p) { const o = getComputedStyle(p).overflowX; if (o !== 'visible') { clipped = true; break; } p = p.parentElement; }
        if (!clipped) out.push(el.tagName + '.' + el.className + ' ' + b.left + '-' + b.right + ' ' + (el.id||''));
      }
      return [document.documentElement.scrollWidth, out.slice(0, 15)];
    }"""))
    for sel in ['.results-tables', '.table-scroll', '.results']:
        print(sel, page.locator(sel).first.evaluate("el => [el.getBoundingClientRect().width, el.scrollWidth, getComputedStyle(el).overflowX, getComputedStyle(el).display]"))
