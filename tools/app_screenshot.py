"""docs/app.png: the app's page with a digit drawn on it, as headless Chromium shows it.

    python -m tools.app_screenshot        # after `dvc repro`; needs Debian's chromium and chromium-driver

Starts `mnist-dvc app` on a free 127.0.0.1 port, draws a 4 with mouse strokes, waits for the answers,
saves the screenshot and stops the server by its process id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("docs/app.png")


def main() -> None:
    from bench.common import free_port
    from tools.browser import draw_stroke, headless_chromium, label_of, open_sketchpad

    port = free_port()
    command = [str(Path(sys.executable).with_name("mnist-dvc")), "app", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    chromium = None
    try:
        server.stdout.readline()  # "serving http://..." once it listens
        chromium = headless_chromium(1400, 1420)
        sketch, wait = open_sketchpad(chromium, f"http://127.0.0.1:{port}/")
        for points in ([(-40, -100), (-60, 20), (50, 20)], [(25, -60), (25, 110)]):  # a 4, in two strokes
            draw_stroke(chromium, sketch, points)
        wait.until(lambda b: "answers in" in b.find_element("id", "status").text)
        wait.until(lambda b: b.find_elements("css selector", "#why img"))  # where each model looked
        time.sleep(1)
        OUT.parent.mkdir(exist_ok=True)
        chromium.save_screenshot(str(OUT))
        print(f"wrote {OUT}: cnn answers {label_of(chromium, 'cnn')}")
    finally:
        if chromium is not None:
            chromium.quit()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
