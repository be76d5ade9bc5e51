"""Drive the app's page and the web stage's page in Debian's headless Chromium: used by the browser tests,
bench.web and tools.app_screenshot.

Selenium is given /usr/bin/chromedriver, so it downloads nothing.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import itertools
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
BRUSH = "button[aria-label='Brush']"


def headless_chromium(width: int = 1400, height: int = 1100) -> webdriver.Chrome:
    """Chromium without a screen; its network events are logged (see :func:`requested_urls`)."""
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def open_sketchpad(browser: webdriver.Chrome, url: str, timeout_s: float = 30):
    """Load the page; return (the sketchpad element, a WebDriverWait) once its brush button is there."""
    browser.get(url)
    wait = WebDriverWait(browser, timeout_s)
    sketch = wait.until(lambda b: b.find_element(By.ID, "sketch"))
    wait.until(lambda b: sketch.find_elements(By.CSS_SELECTOR, BRUSH))
    return sketch, wait


def draw_stroke(browser: webdriver.Chrome, sketch, points: list[tuple[int, int]], steps: int = 10) -> None:
    """One mouse drag through ``points`` (offsets from the canvas centre), ``steps`` moves per segment.
    No tool is picked first: the app opens with the brush chosen, as a person expects."""
    canvas = sketch.find_elements(By.TAG_NAME, "canvas")[-1]
    moves = (
        ActionChains(browser, duration=20).move_to_element_with_offset(canvas, *points[0]).click_and_hold()
    )
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for t in range(1, steps + 1):
            moves.move_to_element_with_offset(
                canvas, x0 + (x1 - x0) * t // steps, y0 + (y1 - y0) * t // steps
            )
    moves.release().perform()


def label_of(browser: webdriver.Chrome, model: str) -> list[str]:
    """The top class a model's label shows, as a one-item list (empty while it shows none)."""
    return browser.find_element(By.ID, f"label-{model}").text.split("\n")[1:2]


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 by Python's own static server, as any static host would; its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def page_state(browser: webdriver.Chrome) -> str:
    """The web page's state: loading, blank, answered or failed (web/page.js)."""
    return browser.execute_script("return document.body.dataset.state")


def open_page(browser: webdriver.Chrome, url: str, timeout_s: float = 60) -> WebDriverWait:
    """Load the web page and wait until its models are loaded (or failed to)."""
    browser.get(url)
    wait = WebDriverWait(browser, timeout_s)
    wait.until(lambda b: page_state(b) in ("blank", "failed"))
    return wait


def draw_on_pad(browser: webdriver.Chrome, strokes: list[list[tuple[float, float]]], size: int = 280) -> None:
    """Each stroke (pad pixels) as one pointer drag on the web page's pad, then wait for its answer."""
    pad = browser.find_element(By.ID, "pad")
    for stroke in strokes:
        offsets = [(round(x - size / 2), round(y - size / 2)) for x, y in stroke]
        moves = (
            ActionChains(browser, duration=0).move_to_element_with_offset(pad, *offsets[0]).click_and_hold()
        )
        for offset in offsets[1:]:
            moves.move_to_element_with_offset(pad, *offset)
        moves.release().perform()
    WebDriverWait(browser, 30).until(
        lambda b: page_state(b) == "answered" and not b.execute_script("return window.mnistPage.busy")
    )


def clear_pad(browser: webdriver.Chrome) -> None:
    browser.find_element(By.ID, "clear").click()
    WebDriverWait(browser, 30).until(lambda b: page_state(b) == "blank")


def pad_png(browser: webdriver.Chrome) -> bytes:
    """What the pad shows, as a PNG: the drawing as a person would save it."""
    data = browser.execute_script("return document.getElementById('pad').toDataURL('image/png')")
    return base64.b64decode(data.split(",", 1)[1])


def requested_urls(browser: webdriver.Chrome) -> list[str]:
    """Every URL the page asked for since the last call, failed requests included (Chromium's own log)."""
    import json

    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
