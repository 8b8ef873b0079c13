"""Issue 16.6: the example in a real browser. Starts the example project (`manage.py
runserver` on a free port, a fresh SQLite database with the demo data), and drives
Debian's headless chromium with Selenium and Debian's chromedriver (nothing downloads a
browser): the index page fits 1280 px, the guarded extra answers 403 then 200 once logged
in, the explorer completes names and shows the response, its queries and its plan, and
the Swagger UI shows the shape parameters. Any console error fails the test.

Select it with `-m browser`. Without /usr/bin/chromium it is skipped, except under CI
(CI=true), where it fails: .ci/run installs chromium and chromedriver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import drf_eager

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
EXAMPLE = Path(__file__).resolve().parents[2] / "example"
WIDTH, HEIGHT = 1280, 900


def _missing() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return f"no {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "no selenium (pip install the test or browser extra)"
    return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"The browser test must run in CI: {missing}.")
        pytest.skip(missing)
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "exampleproject.settings",
            "EXAMPLE_DB": str(Path(directory) / "db.sqlite3"),
            # The drf_eager this test imports: the checkout's or the installed wheel's.
            "PYTHONPATH": os.pathsep.join(
                [str(Path(drf_eager.__file__).resolve().parents[1])]
                + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            ),
        }
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            subprocess.run(manage + command, cwd=EXAMPLE, env=env, check=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = open(Path(directory) / "server.log", "w+")  # noqa: SIM115 - read at the end
        process = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=EXAMPLE,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"The example server did not start:\n{log.read()}")
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)
            log.seek(0)
            server_log = log.read()
            log.close()
    # Rendering the pages logs no error: a 4xx or 5xx is logged by Django.
    noise = [line for line in server_log.splitlines() if "Bad Request" in line or "Error" in line]
    assert not noise, server_log


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},{HEIGHT}",
    ):
        options.add_argument(flag)
    profile = tempfile.TemporaryDirectory()
    options.add_argument(f"--user-data-dir={profile.name}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_window_size(WIDTH, HEIGHT)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver: Any, name: str) -> None:
    # BROWSER_SCREENSHOTS=/some/dir keeps a 1280-px screenshot of each page.
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    if directory:
        driver.save_screenshot(str(Path(directory) / f"{name}.png"))


def wait_for(driver: Any, condition: Any, timeout: float = 20) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page being replaced (after a click) leaves stale elements: look again.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def suggested(driver: Any) -> list[str]:
    """The names the completion list shows, or [] while it is hidden."""
    if driver.find_element("id", "suggestions").get_attribute("hidden") is not None:
        return []
    items = driver.find_elements("css selector", "#suggestions li span")
    return [item.get_attribute("textContent") for item in items]


def text_of(driver: Any, element_id: str) -> str:
    return driver.find_element("id", element_id).text  # type: ignore[no-any-return]


def shown(driver: Any, url: str) -> None:
    """Wait until the explorer shows the result of `url` (not of a request typed before)."""
    wait_for(driver, lambda d: d.find_element("id", "result").get_attribute("data-shown") == url)


def row_of(driver: Any, url: str) -> Any:
    for row in driver.find_elements("css selector", "tbody tr"):
        if f"GET {url}" in row.find_element("css selector", "td").text:
            return row
    raise AssertionError(f"No row for {url}")


def test_the_index_page_fits_1280_px(server, browser):
    browser.get(server + "/")
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert WIDTH - 20 <= viewport <= WIDTH

    def assert_fits() -> None:
        assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
        for row in browser.find_elements("css selector", "tbody tr"):
            for cell in row.find_elements("css selector", "td.n"):
                right = browser.execute_script(
                    "return arguments[0].getBoundingClientRect().right", cell
                )
                assert right <= viewport, (cell.text, right)

    assert_fits()
    first = row_of(browser, "/api/customers/?extra=orders.article,countries&fields=name,")
    assert [cell.text for cell in first.find_elements("css selector", "td.n")] == ["200", "4"]
    screenshot(browser, "index")
    # Every response and SQL opened: still inside the viewport.
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_fits()
    assert console_errors(browser) == []


def test_the_guarded_extra_for_the_demo_user(server, browser):
    def email_row() -> list[str]:
        row = row_of(browser, "/api/contacts/?extra=email")
        return [cell.text for cell in row.find_elements("css selector", "td.n")]

    browser.get(server + "/")
    assert email_row() == ["403", "0"]
    browser.find_element("link text", "Log in as demo / demo").click()
    wait_for(browser, lambda d: "/login/" in d.current_url and d.find_element("id", "id_password"))
    browser.find_element("css selector", "form button[type=submit]").click()
    wait_for(browser, lambda d: "Logged in as" in d.find_element("tag name", "nav").text)
    assert email_row() == ["200", "2"]
    browser.get(server + "/api/contacts/?extra=email&format=json")
    assert '"email":"mario0@example.com"' in browser.find_element("tag name", "body").text
    browser.get(server + "/")
    browser.find_element("css selector", "nav form button").click()
    wait_for(browser, lambda d: "Anonymous" in d.find_element("tag name", "nav").text)
    assert email_row() == ["403", "0"]
    assert console_errors(browser) == []


def test_the_explorer_completes_and_explains(server, browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/eager/explorer/")
    wait_for(browser, lambda d: text_of(d, "status") != "–")
    Select(browser.find_element("id", "endpoint")).select_by_visible_text("/api/customers/ (list)")
    fields = browser.find_element("id", "fields")
    fields.send_keys("name,ord")

    assert wait_for(browser, suggested) == ["orders"]
    fields.send_keys(Keys.TAB)
    assert fields.get_attribute("value") == "name,orders"
    fields.send_keys("(c")
    assert wait_for(browser, suggested) == ["code", "created_at", "customer"]
    fields.send_keys(Keys.ENTER)
    fields.send_keys(",article.c")
    assert wait_for(browser, suggested) == ["code", "customer"]
    fields.send_keys(Keys.TAB, ")")
    assert fields.get_attribute("value") == "name,orders(code,article.code)"
    shown(browser, "/api/customers/?fields=name,orders(code,article.code)")
    assert text_of(browser, "status") == "200 OK"
    assert text_of(browser, "queries") == "3"
    assert '"code": "O00000"' in text_of(browser, "response")
    assert "prefetch_related: orders" in text_of(browser, "plan")
    assert text_of(browser, "served") == "Path: fast (values_list() rows, drf_eager.fast)"
    browser.find_element("css selector", "#result details:nth-of-type(2) summary").click()
    statements = browser.find_elements("css selector", "#sql li")
    assert len(statements) == 3
    assert statements[0].text.startswith("SELECT COUNT(*)")
    screenshot(browser, "explorer")

    # A syntax error: the 400 message, pointing at its position under the value.
    fields.send_keys(Keys.END, ",,")
    shown(browser, "/api/customers/?fields=name,orders(code,article.code),,")
    assert text_of(browser, "status") == "400 Bad Request"
    error = browser.find_element("css selector", '.error[data-for="fields"]').text
    value = "name,orders(code,article.code),,"
    assert error == f"{value}\n{' ' * 31}^ Expected a field name at position 32, found ','."
    assert text_of(browser, "queries") == "0"
    assert console_errors(browser) == []


def test_the_explorer_sends_a_json_body(server, browser):
    browser.get(server + "/")
    row = next(
        row
        for row in browser.find_elements("css selector", "tbody tr")
        if "JSON body describes" in row.text
    )
    row.find_element("link text", "send it in the explorer").click()
    wait_for(browser, lambda d: text_of(d, "status") != "–")
    assert '"created_at"' in browser.find_element("id", "body").get_attribute("value")
    assert text_of(browser, "status") == "200 OK"
    assert text_of(browser, "queries") == "3"
    shape = browser.find_element("id", "shape-text").get_attribute("textContent")
    assert shape == "fields=name,orders(code,created_at)"

    # Completion in the body: the keys of the level the cursor is in.
    from selenium.webdriver.common.keys import Keys

    body = browser.find_element("id", "body")
    body.clear()
    body.send_keys('{"fields": {"name": null, "orders": {"c')
    assert wait_for(browser, suggested) == ["code", "created_at", "customer"]
    body.send_keys(Keys.ARROW_DOWN, Keys.TAB, '": null}}}')
    assert (
        body.get_attribute("value") == '{"fields": {"name": null, "orders": {"created_at": null}}}'
    )
    wait_for(
        browser,
        lambda d: "created_at" in text_of(d, "response") and "code" not in text_of(d, "response"),
    )
    assert text_of(browser, "queries") == "3"
    assert console_errors(browser) == []


def test_the_openapi_page_shows_the_shape_parameters(server, browser):
    browser.get(server + "/api/docs/")
    block = wait_for(
        browser, lambda d: d.find_element("id", "operations-customers-customers_list")
    )
    screenshot(browser, "openapi")
    block.find_element("css selector", ".opblock-summary").click()
    names = wait_for(
        browser,
        lambda d: [
            cell.text.split()[0]
            for cell in d.find_elements(
                "css selector", "#operations-customers-customers_list .parameters-col_name"
            )
            if cell.text
        ],
    )
    assert {"extra", "fields", "exclude"} <= set(names), names
    assert console_errors(browser) == []
