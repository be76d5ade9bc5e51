"""Drive the app's page in Debian's headless Chromium: used by the browser test and tools.app_screenshot.

Selenium is given /usr/bin/chromedriver, so it downloads nothing.
"""

from __future__ import annotations

import itertools
import shutil

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
BRUSH = "button[aria-label='Brush']"


def headless_chromium(width: int = 1400, height: int = 1100) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(arg)
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
