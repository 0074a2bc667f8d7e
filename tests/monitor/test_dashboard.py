"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

A real server process, a real training process (glassbox Trainer.fit with the Monitor callback):
the run appears, its chart fills with the logged points as they arrive, its status turns to
finished; a run named like a script tag shows as text and runs nothing.
"""

import math
import os

import pytest

from glassbox.monitor import Monitor

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is missing")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGUMENTS, headless=True)
        yield browser
        browser.close()


def test_live_run_appears_fills_its_chart_and_finishes(monitor_server, training_process, browser, tmp_path):
    server = monitor_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server.url}/?token={server.token}")
    assert page.url == f"{server.url}/", "the token should leave the address bar once the cookie is set"
    page.wait_for_selector("#connection[data-state='live']")

    # 64 samples in batches of 16 over 3 epochs: 12 training steps, one loss point each
    process = training_process("ok", "digits-mlp", url=server.url, token=server.token)
    row = page.locator("tr.run-row", has_text="digits-mlp")
    row.wait_for(timeout=20_000)
    loss_chart = page.locator(".chart[data-metric='loss']")
    loss_chart.wait_for(timeout=20_000)
    assert process.wait(60) == 0, process.stderr.read()
    page.wait_for_selector("tr.run-row[data-status='finished']", timeout=20_000)
    # (attribute selectors rather than wait_for_function: the page's CSP rightly forbids eval)
    page.wait_for_selector(".chart[data-metric='loss'][data-points='12']", timeout=20_000)
    assert row.locator(".badge").inner_text() == "finished"
    assert page.locator(".chart[data-metric='loss'] canvas").count() == 1
    assert page.locator(".chart[data-metric='epoch/accuracy']").get_attribute("data-points") == "3"
    assert page.locator("#params-body").inner_text().count("SGD") == 1
    page.screenshot(path=str(tmp_path / "dashboard-finished.png"), full_page=True)

    # After a reload the same points come from the API instead of the live stream.
    page.reload()
    page.wait_for_selector(".chart[data-metric='loss'][data-points='12']", timeout=20_000)

    # A run name holding markup is shown as text, and nothing in it runs.
    hostile = "<script>alert(1)</script>"
    run = Monitor(url=server.url, token=server.token, heartbeat=0.2, flush_interval=0.05, system_metrics=False,
                  handle_signals=False, outbox_dir=tmp_path / "outbox").start(hostile, config={"<img src=x>": "<b>"})
    run.log(0, loss=1.0)
    assert run.finish(timeout=10)
    page.get_by_text(hostile, exact=True).first.wait_for(timeout=20_000)
    assert page.get_by_text(hostile, exact=True).first.is_visible()
    assert page.locator("tr.run-row script").count() == 0
    page.wait_for_selector(".chart[data-metric='loss'][data-runs='2'][data-points='13']", timeout=20_000)  # overlaid
    page.screenshot(path=str(tmp_path / "dashboard-hostile-name.png"), full_page=True)
    assert dialogs == []
    assert os.path.getsize(tmp_path / "dashboard-finished.png") > 10_000


def test_a_long_run_is_drawn_downsampled_and_zooms_to_full_resolution(monitor_server, browser, tmp_path):
    server = monitor_server()
    run = Monitor(url=server.url, token=server.token, system_metrics=False, handle_signals=False,
                  outbox_dir=tmp_path / "outbox").start("long-run")
    for step in range(6000):
        run.log(step, wave=math.sin(step / 300) + (5.0 if step == 4321 else 0.0))
    assert run.finish(timeout=20)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server.url}/?token={server.token}")
    chart = page.locator(".chart[data-metric='wave']")
    chart.wait_for(timeout=20_000)
    overview_points = int(chart.get_attribute("data-points"))
    assert 500 < overview_points <= 1000, "6000 points are drawn as at most 1000 (min and max of 500 buckets)"
    box = chart.locator(".u-over").bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.40, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.50, middle, steps=5)
    page.mouse.up()
    page.wait_for_selector(".chart[data-metric='wave'] .chart-caption:has-text('steps')", timeout=20_000)
    caption = chart.locator(".chart-caption").inner_text()
    start, end = (int(number) for number in caption.split("steps ")[1].rstrip(")").split("–"))
    assert 2000 < start < end < 3400
    assert int(chart.get_attribute("data-points")) == end - start + 1, "the zoomed range comes at full resolution"
    page.screenshot(path=str(tmp_path / "dashboard-zoomed.png"), full_page=True)
    chart.locator("button", has_text="full view").click()
    page.wait_for_selector(f".chart[data-metric='wave'][data-points='{overview_points}']", timeout=20_000)
