"""Take a screenshot of a results folder's HTML report in headless Chromium.

Not part of the test suite (it needs Debian's ``chromium`` package: ``apt-get install
chromium``): a person runs it and looks at the picture, to see the report as a reader does.

    python docs/screenshot_report.py cmp/ --out docs/report_top.png --height 2400

It writes ``cmp/report.html`` (``rollout-sim report``) and renders its top ``--height`` pixels
at 1280 px wide: the verdict, the ranking and the cost breakdown sit there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from sim.report import write_report

#: Flags for a headless start on a machine with no network and no display.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def screenshot(folder: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    """Write the folder's report and save a screenshot of its top to ``out``."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    page = write_report(folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={out.resolve()}",
                        page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return out


def main() -> None:
    """Command line: folder, --out, --width, --height."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a run or compare output folder")
    ap.add_argument("--out", type=Path, default=Path("report.png"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=2400)
    a = ap.parse_args()
    print(screenshot(a.folder, a.out, a.width, a.height))


if __name__ == "__main__":
    main()
