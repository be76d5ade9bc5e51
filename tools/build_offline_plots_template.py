"""Build .dvc/plots/offline.html: DVC's plots page with vega, vega-lite and vega-embed inlined.

`dvc plots show/diff` write an HTML page that loads these three libraries from a CDN, so on a machine
without internet the page stays blank. This page carries them inline instead (the same versions DVC's
renderer asks for), and .dvc/config names it as plots.html_template. Run it again only to change the
versions: `python tools/build_offline_plots_template.py`. It needs npm on PATH.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {
    "vega@5.20.2": "vega.min.js",
    "vega-lite@5.2.0": "vega-lite.min.js",
    "vega-embed@6.18.2": "vega-embed.min.js",
}
OUT = Path(__file__).resolve().parent.parent / ".dvc" / "plots" / "offline.html"

PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <!-- {versions} inlined, so this page works offline (tools/build_offline_plots_template.py) -->
{inline_scripts}
    <style>
        table {{
            border-spacing: 15px;
        }}
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def main() -> None:
    scripts = []
    with tempfile.TemporaryDirectory() as tmp:
        # npm prints config warnings on stderr even on success: judge it by its exit code.
        subprocess.run(
            ["npm", "pack", *PACKAGES, "--silent", "--pack-destination", tmp], check=True, capture_output=True
        )
        for spec, filename in PACKAGES.items():
            name, version = spec.rsplit("@", 1)
            with tarfile.open(Path(tmp) / f"{name}-{version}.tgz") as archive:
                code = archive.extractfile(f"package/build/{filename}").read().decode("utf8")
            code = code.replace("</script", "<\\/script")  # a literal "</script" would end the block early
            scripts.append(f"<script>/* {spec} */\n{code}\n</script>")
    # DVC fills {refresh_tag} and {plot_divs} with str.replace; braces in PAGE are doubled for format().
    html = PAGE.format(
        refresh_tag="{refresh_tag}",
        plot_divs="{plot_divs}",
        versions=", ".join(PACKAGES),
        inline_scripts="\n".join(scripts),
    )
    OUT.write_text(html, encoding="utf8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
