"""charts.js on its own: inlined with uPlot into one HTML page, offline, no server.

This is how a static report uses it: uPlot's script and CSS, charts.js,
charts.css and
the history samples inlined in the page, ``LocustCharts.create(el).setData(samples)``.
The page is opened in Chromium with the network disabled; the three charts
must be drawn.  Screenshot: ``test-artifacts/charts-standalone.png``.

Skipped when /usr/bin/chromium or Playwright is missing.
"""

import json
import math
from pathlib import Path

from locust.web import STATIC_DIR
from support.browser import ARTIFACTS, launch, sync_playwright


def history(n=120):
    """Two minutes of samples: a latency step half-way, a gap without requests."""
    cols = {f: [] for f in ("time", "user_count", "rps", "fail_per_sec", "p50", "p95", "p99")}
    for i in range(n):
        slow = i >= n // 2
        cols["time"].append(1_700_000_000 + 2 * i)
        cols["user_count"].append(min(50, 5 * (i + 1)))
        cols["rps"].append(0 if i == 10 else 400 + 50 * math.sin(i / 5))
        cols["fail_per_sec"].append(4 if slow else 0.5)
        for name, base in (("p50", 10), ("p95", 25), ("p99", 40)):
            cols[name].append(None if i == 10 else base * (20 if slow else 1))
    return cols


def page_html(samples):
    static = Path(STATIC_DIR)

    def read(name):
        return (static / name).read_text(encoding="utf-8").replace("</script", "<\\/script")

    return """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>%s</style><style>%s</style><style>body { font-family: sans-serif; width: 900px; }</style></head>
<body><div id="charts"></div>
<script>%s</script><script>%s</script>
<script>window.charts = LocustCharts.create(document.getElementById("charts"));
window.charts.setData(%s);</script></body></html>""" % (
        read("uPlot.min.css"), read("charts.css"), read("uPlot.iife.min.js"), read("charts.js"),
        json.dumps(samples))


def test_charts_render_from_inlined_samples_offline():
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport={"width": 960, "height": 900})
            context.set_offline(True)
            page = context.new_page()
            errors, requests = [], []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda req: requests.append(req.url))
            page.set_content(page_html(history()))
            assert page.evaluate("() => window.charts.length") == 120
            assert page.locator(".chart-card").count() == 3
            # Each chart's canvas has its lines: pixels that are not background.
            drawn = page.evaluate("""() => [...document.querySelectorAll('.chart-card canvas')].map(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 200) n++;
                return n;
            })""")
            assert len(drawn) == 3 and all(n > 1000 for n in drawn), drawn
            # Appending goes on from the last sample; older ones are ignored.
            added = page.evaluate("""() => window.charts.append({time: [1700000000, 1700000240],
                user_count: [1, 50], rps: [1, 400], fail_per_sec: [0, 4], p50: [1, 200],
                p95: [1, 500], p99: [1, 800]})""")
            assert added == 1 and page.evaluate("() => window.charts.length") == 121
            page.screenshot(path=str(ARTIFACTS / "charts-standalone.png"), full_page=True)
            assert errors == []
            assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
        finally:
            browser.close()
