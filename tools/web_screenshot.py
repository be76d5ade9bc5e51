"""docs/web.png: the web stage's page (site/) with a digit drawn on it, as headless Chromium shows it.

    python -m tools.web_screenshot        # after `make site`; needs Debian's chromium and chromium-driver

Serves site/ on 127.0.0.1, draws a 4 through pointer actions, waits for the answers, saves the screenshot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path("docs/web.png")


def main() -> None:
    from mnist_dvc.web.site import SITE_DIR
    from tools.browser import draw_on_pad, headless_chromium, open_page, static_site
    from tools.digit_strokes import digit_strokes

    chromium = headless_chromium(920, 800)
    try:
        with static_site(SITE_DIR) as url:
            open_page(chromium, url)
            draw_on_pad(chromium, digit_strokes(4, np.random.default_rng(3)))
            chromium.save_screenshot(str(OUT))
    finally:
        chromium.quit()
    print(f"tools.web_screenshot: {OUT}")


if __name__ == "__main__":
    main()
