"""Screenshot a running dashboard with Debian's headless Chromium.

Usage: python scripts/screenshot.py URL OUT.png [--wait-text TEXT]
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--wait-text", default="Sentinella")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(args.url)
        page.get_by_text(args.wait_text).first.wait_for(timeout=90_000)
        page.wait_for_timeout(4_000)
        page.screenshot(path=args.out)
        browser.close()


if __name__ == "__main__":
    main()
