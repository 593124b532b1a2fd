"""Screenshots of the portal's busiest pages at 320 px and 1280 px wide, for looking at (never committed).

    .venv/bin/python scripts/screenshots.py /tmp/shots [--port 8190] [--page ROLE:NAME:PATH ...]

Starts its own demo server on a throwaway SQLite database (the register, LA configuration, demo accounts and
incidents, as `encompass demo load` makes them), signs in through the real pages in Debian's Chromium as the demo
Key Adult and the demo LA officer, and saves full-page PNGs of the inbox, a notification, the LA case page and the
oversight dashboard, one per width. Needs the register in REGISTER_DIR (default ../shared/data/register).

--page adds a page: ROLE is key-adult, officer or police; NAME names the PNGs; PATH may hold {case} (the LA case
page's path), {routing_case} (the first case about a setting: to resolve, not onboarded or sent back) or {notification} (the Key Adult's first
notification's path), e.g.
    --page 'officer:reroute:{case}/reroute/112496'   --page 'police:dashboard:/police'
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEMO_PASSWORD = "demo-password-please-change"
KEY_ADULT = "dsl@brimington-junior.example.sch.uk"
OFFICER = "officer@derbyshire.example.gov.uk"
POLICE = "hub@derbyshire.police.example.uk"
ROLES = ("key-adult", "officer", "police")
WIDTHS = (320, 1280)
LA_QUEUES = ("/la/queues/not_in_school", "/la/queues/to_resolve", "/la/queues/not_onboarded", "/la/queues/sent_back",
             "/la/queues/escalated")
ROUTING_QUEUES = ("/la/queues/to_resolve", "/la/queues/not_onboarded", "/la/queues/sent_back")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli(environment: dict[str, str], *arguments: str) -> str:
    """`encompass ...` from this checkout's code, as the demo server runs it."""
    done = subprocess.run([sys.executable, "-m", "service.cli", *arguments], cwd=REPO_ROOT, env=environment,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`encompass {' '.join(arguments)}` failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_until_up(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The demo server stopped; its log:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit(f"The demo server did not answer at {url} within two minutes")


def sign_in(page, environment: dict[str, str], email: str) -> None:
    """Password, then the code for the account's authenticator (first sign-in: the set-up page's code)."""
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.fill("#code", cli(environment, "users", "totp-code", "--email", email).strip())
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    if "/sign-in" in page.url:
        raise SystemExit(f"Could not sign in as {email}: {page.inner_text('main')[:300]}")


def shoot(page, out_dir: Path, name: str, path: str) -> list[Path]:
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path)
        target = out_dir / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        print(f"{target}  ({wide} px of page in a {width} px window{'; SCROLLS SIDEWAYS' if wide > width else ''})")
        saved.append(target)
    return saved


def first_link(page, paths: tuple[str, ...], selector: str) -> str:
    """The first link matching `selector` on the first of these pages that has one."""
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in paths:
        page.goto(path)
        link = page.locator(selector).first
        if link.count():
            return link.get_attribute("href")
    raise SystemExit(f"No link matching {selector} on any of {', '.join(paths)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="where the PNGs go (created if missing)")
    parser.add_argument("--port", type=int, default=0, help="the demo server's port (default: a free one)")
    parser.add_argument("--page", action="append", default=[], metavar="ROLE:NAME:PATH",
                        help=f"another page to shoot, as one of {', '.join(ROLES)} (repeatable)")
    args = parser.parse_args(argv)
    extra = [tuple(spec.split(":", 2)) for spec in args.page]
    if any(len(spec) != 3 or spec[0] not in ROLES for spec in extra):
        parser.error(f"--page takes ROLE:NAME:PATH, ROLE one of {', '.join(ROLES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}"

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="encompass-shots-") as scratch:
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}/demo.db", "ENVIRONMENT": "development",
                       "SECRET_KEY": "screenshots-only-secret-key-0123456789abcdef", "BASE_URL": base_url,
                       "WARM_REGISTER_INDEX": "false"}
        print("Loading the demo data (the register takes a minute)...", flush=True)
        cli(environment, "db", "upgrade")
        cli(environment, "demo", "load")
        log_path = Path(scratch) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--no-worker", "--port", str(port)],
                                      cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(base_url, server, log_path)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    key_adult = browser.new_context(base_url=base_url).new_page()
                    sign_in(key_adult, environment, KEY_ADULT)
                    notification = first_link(key_adult, ("/notifications",), "#inbox tbody a[href^='/notifications/']")
                    shoot(key_adult, args.out_dir, "inbox", "/notifications")
                    shoot(key_adult, args.out_dir, "notification", notification)

                    officer = browser.new_context(base_url=base_url).new_page()
                    sign_in(officer, environment, OFFICER)
                    case = first_link(officer, LA_QUEUES, "main a[href^='/la/notifications/']")
                    shoot(officer, args.out_dir, "la-case", case)
                    shoot(officer, args.out_dir, "dashboard", "/la/dashboard")

                    pages = {"key-adult": key_adult, "officer": officer}
                    if any(role == "police" for role, _, _ in extra):
                        pages["police"] = browser.new_context(base_url=base_url).new_page()
                        sign_in(pages["police"], environment, POLICE)
                    routing_case = (first_link(officer, ROUTING_QUEUES, "main a[href^='/la/notifications/']")
                                    if any("{routing_case}" in path for _, _, path in extra) else "")
                    for role, name, path in extra:
                        shoot(pages[role], args.out_dir, name,
                              path.format(case=case, notification=notification, routing_case=routing_case))
                finally:
                    browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
