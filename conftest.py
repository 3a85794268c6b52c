import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium; its own browser download does not work here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _reset_language():
    """A request activates its user's language for the thread and nothing switches it back;
    without this a Chinese request would leak its language into the next test."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _browser_waits():
    """Browser assertions wait up to 15 s for the page to reach the expected state (Playwright's
    default is 5 s): CI machines are shared, and a page that gets there later is not wrong.
    This is a ceiling on waiting, not a speed assertion."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - the test extra installs it
        return
    expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright keeps an event loop running in the main thread, and a
    test that runs its own asyncio loop afterwards (the dialer, the telephony adapters) could not.
    The sort is stable, so every other test keeps its order."""

    def is_browser(item) -> bool:
        return item.get_closest_marker("browser") is not None or "page" in getattr(
            item, "fixturenames", ()
        )

    items.sort(key=is_browser)
