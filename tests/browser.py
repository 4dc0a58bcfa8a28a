"""Debian's Chromium driven by Playwright, for the tests that open pages (skipped with the reason when missing)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

#: flags for a headless Chromium on a machine without a network or a GPU (no background connections)
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium_browser() -> Iterator:
    """A launched Playwright browser on Debian's chromium, closed on exit; a skip where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=exe, args=BROWSER_ARGS)
        except Exception as exc:  # a browser that cannot start here is a skip, not a failure
            pytest.skip(f"chromium could not be launched: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()


def block_network(target, allow: tuple[str, ...] = ("file:",)) -> list[str]:
    """
    Abort every request of a Playwright page or context but those to ``allow``'s schemes.

    Returns the list the blocked URLs are appended to, for the test to assert on.
    """
    blocked: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(allow):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    target.route("**/*", route)
    return blocked


#: run before a page's own scripts: any alert / confirm / prompt, and any element that gets an ``on...`` attribute
#: (an ``onerror`` / ``onload`` smuggled in as markup), is recorded in ``window.__scriptsRan``
SCRIPT_WATCH = """
(() => {
    const ran = window.__scriptsRan = [];
    for (const name of ["alert", "confirm", "prompt"]) {
        window[name] = (...args) => { ran.push(name + "(" + args.join(",") + ")"); };
    }
    const handlers = (el) => el.getAttributeNames ? el.getAttributeNames().filter((a) => a.startsWith("on")) : [];
    const look = (el) => {
        if (el.nodeType !== 1) { return; }
        for (const e of [el, ...el.querySelectorAll("*")]) {
            for (const a of handlers(e)) { ran.push(e.tagName.toLowerCase() + "[" + a + "]"); }
        }
    };
    new MutationObserver((records) => {
        for (const r of records) {
            if (r.type === "attributes" && r.attributeName.startsWith("on")) { ran.push("attribute " + r.attributeName); }
            r.addedNodes.forEach(look);
        }
    }).observe(document, {childList: true, subtree: true, attributes: true});
})();
"""


def watch_scripts(target) -> None:
    """Record in ``window.__scriptsRan`` any dialog or inline handler a Playwright page or context's pages get."""
    target.add_init_script(SCRIPT_WATCH)
