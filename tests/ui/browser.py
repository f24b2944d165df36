"""Screenshots of every dashboard page and the browser's time to first KPI, in headless Chromium over CDP.

Not a pytest test (that is `tests/ui/test_browser.py`, with Playwright, which also refreshes docs/screenshots/).
Run it by hand against a dashboard that is already running, e.g. the one `kf up --demo` prints:

    .venv/bin/python -m tests.ui.browser http://127.0.0.1:8501 /tmp/screenshots [--lang en]

It speaks the Chrome DevTools Protocol over a WebSocket, so it needs no browser download and no Playwright.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from kf.embedded.ports import free_port

from ui.i18n import TEXTS

# URL path and navigation label key of each page, in the order of the sidebar.
PAGES = (("oversikt", "nav.overview"), ("maal", "nav.goals"), ("tiltak", "nav.measures"), ("nettverk", "nav.network"),
         ("samlinger", "nav.gatherings"), ("registrer", "nav.register"))
FIRST_METRIC = "document.querySelector('[data-testid=\"stMetricValue\"]')?.innerText || ''"
SETTLED = ("(() => { const s = document.querySelector('[data-testid=\"stStatusWidget\"]');"
           " return !s && document.querySelectorAll('[data-testid=\"stHeading\"]').length > 0; })()")


class Cdp:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        wanted = self.next_id
        await self.ws.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def click(self, selector: str, text: str) -> None:
        """A real mouse click in the middle of the first `selector` element whose text contains `text`."""
        box = await self.evaluate(
            f"(() => {{ const e = [...document.querySelectorAll({json.dumps(selector)})]"
            f".find(x => x.innerText.includes({json.dumps(text)})); if (!e) return null;"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        if not box:
            raise LookupError(f"no {selector} with text {text!r}")
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    async def wait_for(self, expression: str, timeout: float = 30.0, settle: float = 0.0):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                value = await self.evaluate(expression)
            except RuntimeError:  # the page is navigating; ask again
                value = None
            if value:
                if settle:
                    await asyncio.sleep(settle)
                return value
            await asyncio.sleep(0.05)
        raise TimeoutError(f"not true within {timeout}s: {expression}")


async def run(base_url: str, out_dir: Path, lang: str) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="kf-chromium-")
    proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "--window-size=1500,1800",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                targets = httpx.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                page = next(t for t in targets if t.get("type") == "page")
                break
            except (httpx.HTTPError, StopIteration):
                await asyncio.sleep(0.1)
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            cdp = Cdp(ws)
            await cdp.call("Page.enable")
            await cdp.call("Emulation.setDeviceMetricsOverride", width=1500, height=1800, deviceScaleFactor=1, mobile=False)
            out_dir.mkdir(parents=True, exist_ok=True)
            for index, (path, nav_key) in enumerate(PAGES):
                started = time.perf_counter()
                if index == 0:
                    await cdp.call("Page.navigate", url=base_url)
                else:  # through the sidebar, as a user would, so the session (and its language) is kept
                    await cdp.click("[data-testid=stSidebarNavLink]", TEXTS[nav_key][lang])
                    await cdp.wait_for(f"location.pathname.endsWith('/{path}')")
                if index == 0:
                    value = await cdp.wait_for(FIRST_METRIC)
                    print(f"browser: first KPI on the overview after {time.perf_counter() - started:.3f} s ({value}; "
                          "new browser profile)")
                    await cdp.wait_for(SETTLED)
                    await cdp.evaluate("window.kfOldPage = true")  # to tell the reloaded document from the old one
                    started = time.perf_counter()
                    await cdp.call("Page.reload")
                    value = await cdp.wait_for(f"!window.kfOldPage && ({FIRST_METRIC})")
                    print(f"browser: first KPI on the overview after {time.perf_counter() - started:.3f} s ({value}; "
                          "reload, browser cache warm)")
                    if lang == "en":
                        await cdp.click("[data-testid=stRadioOption]", "English")
                        await cdp.wait_for("document.body.innerText.includes('Overview')")
                await cdp.wait_for(SETTLED, settle=1.5)
                shot = await cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
                file = out_dir / f"{index + 1}-{path}{'-en' if lang == 'en' else ''}.png"
                file.write_bytes(base64.b64decode(shot["data"]))
                print(f"browser: {path} ready after {time.perf_counter() - started:.3f} s -> {file}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--lang", choices=("nb", "en"), default="nb")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.out_dir, args.lang))


if __name__ == "__main__":
    main()
