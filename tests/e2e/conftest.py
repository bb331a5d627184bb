"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    # One driver for the session: the sync API cannot start a second one while the first runs.
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk (the browser tests do not skip)"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_in_call = report.failed


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "failed_in_call", False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    # Leave the page first: a printed PDF's frame (Chromium's viewer, in a process of its own) torn down by
    # the context's close once sent a lifecycle event of a detached frame to Playwright's driver, which
    # crashed on it ("Frame has been detached") and took every later browser test of the worker with it.
    page.goto("about:blank")
    context.close()


@pytest.fixture
def camera_page(
    playwright_driver: Playwright, request: pytest.FixtureRequest
) -> Iterator[Callable[[Path], Page]]:
    """camera_page(video) -> a page in a Chromium of its own whose camera films `video` (.y4m or .mjpeg,
    played in a loop) and which grants the camera without asking."""
    browsers: list[Browser] = []
    pages: list[Page] = []

    def launch(video: Path) -> Page:
        fake_camera = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        browser = playwright_driver.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *fake_camera], headless=True
        )
        browsers.append(browser)
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        pages.append(context.new_page())
        return pages[-1]

    yield launch
    if getattr(request.node, "failed_in_call", False) and pages:
        ARTIFACTS.mkdir(exist_ok=True)
        pages[-1].screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    for browser in browsers:
        browser.close()


@pytest.fixture
def sign_in(page: Page, live_server: str):  # noqa: ANN201
    """sign_in(username, password): through the login form, as a person would."""
    from tests.conftest import PASSWORD

    def go(username: str, password: str = PASSWORD) -> Page:
        page.goto(f"{live_server}/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        # The form posts whether the password is right or wrong: wait for the answer's page before going on.
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        return page

    return go


def wedge(page: Page, text: str) -> None:
    """A keyboard-wedge scanner: the code typed into the focused field, then Enter.

    A person scans once the page shows its scan field focused; Chromium applies `autofocus` a frame after the
    page loads, so the scan waits for a focused field instead of typing its first characters into the page."""
    page.wait_for_function("() => ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName)")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


@pytest.fixture
def people(browser: Browser, live_server: str, make_user: Any, request: Any) -> Iterator[Callable[..., Page]]:
    """people(role, full name, viewport=...): a new browser context signed in through the login page as a new
    user of that role; a failed test leaves a screenshot of each page in test-artifacts/."""
    from tests.conftest import PASSWORD

    pages: list[Page] = []

    def person(role: str, full_name: str, viewport: dict | None = None) -> Page:
        username = make_user(role, full_name=full_name)
        context = browser.new_context(locale="en-GB", viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        pages.append(page)
        page.goto(f"{live_server}/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name=f"Welcome, {full_name}").wait_for()
        return page

    yield person
    for number, page in enumerate(pages, start=1):
        if getattr(request.node, "failed_in_call", False):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}.png"), full_page=True)
        page.context.close()
