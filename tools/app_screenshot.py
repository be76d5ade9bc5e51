"""docs/app.png: the app's page with a digit drawn on it, as headless Chromium shows it.

    python -m tools.app_screenshot        # after `dvc repro`; needs Debian's chromium and chromium-driver

Starts `mnist-dvc app` on a free 127.0.0.1 port, draws a 4 with mouse strokes, waits for the answers,
saves the screenshot and stops the server by its process id.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("docs/app.png")


def main() -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(Path(sys.executable).with_name("mnist-dvc")), "app", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1120"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    browser = None
    try:
        server.stdout.readline()  # "serving http://..." once it listens
        browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        browser.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(browser, 30)
        sketch = wait.until(lambda b: b.find_element(By.ID, "sketch"))
        wait.until(lambda b: sketch.find_elements(By.CSS_SELECTOR, "button[aria-label='Brush']"))
        canvas = sketch.find_elements(By.TAG_NAME, "canvas")[-1]
        for points in ([(-40, -100), (-60, 20), (50, 20)], [(25, -60), (25, 110)]):  # a 4, in two strokes
            sketch.find_element(By.CSS_SELECTOR, "button[aria-label='Brush']").click()
            moves = (
                ActionChains(browser, duration=20)
                .move_to_element_with_offset(canvas, *points[0])
                .click_and_hold()
            )
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                for t in range(1, 11):
                    moves.move_to_element_with_offset(
                        canvas, x0 + (x1 - x0) * t // 10, y0 + (y1 - y0) * t // 10
                    )
            moves.release().perform()
        wait.until(lambda b: "answers in" in b.find_element(By.ID, "status").text)
        time.sleep(1)
        OUT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(OUT))
        print(f"wrote {OUT}: {browser.find_element(By.ID, 'label-cnn').text.splitlines()[:2]}")
    finally:
        if browser is not None:
            browser.quit()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
