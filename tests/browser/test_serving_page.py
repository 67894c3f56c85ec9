"""The serving page in a real browser (Debian's Chromium driven by Playwright).

Every page visited is screenshotted into ``.servingops/artifacts/browser/`` and checked
not to be blank.
"""

from __future__ import annotations

import re

from demo_plane import demo_specs
from plane_testing import RunningPlane
from playwright.sync_api import BrowserContext, Page, expect
from screens import ARTIFACTS, pixel_stats, shoot

from plane.ui.session import COOKIE

STREAMED_CHAT = "support-chat"
QUERIED = "completions-ab"


PACED_STREAM_JS = """() => {
  const realFetch = window.fetch;
  window.fetch = async (...args) => {
    const response = await realFetch(...args);
    const type = response.headers.get("content-type") || "";
    if (!type.startsWith("text/event-stream")) return response;
    const events = (await response.text()).split("\\n\\n").filter((e) => e.trim());
    const encoder = new TextEncoder();
    let next = 0;
    const body = new ReadableStream({
      async pull(controller) {
        if (next >= events.length) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 30));
        controller.enqueue(encoder.encode(events[next++] + "\\n\\n"));
      },
    });
    return new Response(body, {status: response.status, headers: response.headers});
  };
}"""
"""Re-deliver an SSE answer one event every 30 ms, as a slow model would: the page must
show the text growing, not all at once at the end."""


def log_in(page: Page, plane: RunningPlane, token: str) -> None:
    """Open the plane's page (it sends us to the login form) and submit ``token``."""
    page.goto(f"{plane.url}/")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    page.fill("#token", token)
    page.click("#login-submit")


def test_a_wrong_token_is_refused(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, "dapi-not-the-token")
    expect(page.locator("#login-error")).to_contain_text("not accepted")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    assert page.context.cookies() == []
    page.goto(f"{demo.url}/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    shoot(page, ARTIFACTS, "login-refused")


def test_every_demo_endpoint_is_listed_ready_with_its_split(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    expect(page).to_have_url(re.compile(r"/ui/$"))
    port = demo.url.rsplit(":", 1)[1]
    cookie = next(c for c in page.context.cookies() if c["name"] == f"{COOKIE}_{port}")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["value"] != demo.token
    for spec in demo_specs():
        row = page.locator(f'tr[data-endpoint="{spec.name}"]')
        expect(row).to_have_count(1)
        expect(row.locator(".state")).to_have_text("ready")
        if spec.traffic:
            for entity, percentage in spec.traffic.items():
                expect(row.locator(".legend")).to_contain_text(f"{entity} {percentage}%")
    widths = page.locator('tr[data-endpoint="support-chat"] svg.split rect')
    assert [widths.nth(i).get_attribute("width") for i in range(2)] == ["90", "10"]
    shoot(page, ARTIFACTS, "endpoints")


def test_the_filter_keeps_matching_endpoints(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    page.fill("#filter", "team=support")
    page.press("#filter", "Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator('tr[data-endpoint="support-chat"]')).to_have_count(1)


def test_an_endpoint_answers_its_example(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    page.click(f'tr[data-endpoint="{QUERIED}"] td.name a')
    expect(page.locator("#endpoint-name")).to_have_text(QUERIED)
    page.fill("#query-input", "")
    page.click("#show-example")
    expect(page.locator("#query-input")).to_have_value(re.compile('"prompt"'))
    page.click("#send-query")
    expect(page.locator("#query-output")).to_have_attribute("data-done", "yes")
    expect(page.locator("#query-status")).to_have_text(re.compile(r"^200"))
    expect(page.locator("#query-latency")).to_have_text(re.compile(r"^\d+ ms$"))
    expect(page.locator("#query-served")).to_have_text(
        re.compile(r"^served by (haiku|command-r|jamba)$")
    )
    expect(page.locator("#query-output")).to_contain_text('"choices"')
    expect(page.locator("#query-output")).to_contain_text('"text"')
    for section in ("#config", "#gateway", "#permissions", "#history"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#history")).to_contain_text("DEPLOYED")
    shoot(page, ARTIFACTS, "endpoint-query")


def test_a_chat_answer_streams_in(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/endpoints/{STREAMED_CHAT}")
    page.check("#query-stream")
    page.evaluate(PACED_STREAM_JS)  # the plane sends the whole stream in one packet
    page.evaluate(
        """() => {
          window.__seen = [];
          const out = document.getElementById("query-output");
          new MutationObserver(() => window.__seen.push(out.textContent.length))
            .observe(out, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.click("#send-query")
    output = page.locator("#query-output")
    expect(output).to_have_attribute("data-done", "yes")
    assert int(output.get_attribute("data-chunks") or 0) >= 2
    seen = [n for n in page.evaluate("window.__seen") if n > 0]
    assert len(set(seen)) >= 2 and seen == sorted(seen)  # the text grew piece by piece
    assert output.inner_text().strip()
    assert "{" not in output.inner_text()  # the text of the deltas, not raw JSON
    expect(page.locator("#query-latency")).to_contain_text("chunks")
    shoot(page, ARTIFACTS, "endpoint-stream")


def test_the_playground_compares_two_chat_endpoints(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    page.click("#nav-playground")
    page.select_option("#pick-0", "support-chat")
    page.select_option("#pick-1", "internal-chat")
    page.fill("#prompt", "Name one colour.")
    page.click("#compare")
    for slot, name in ((0, "support-chat"), (1, "internal-chat")):
        box = page.locator(f"#answer-{slot}")
        expect(box).to_have_attribute("data-done", "yes")
        expect(box.locator(".answer-endpoint")).to_have_text(name)
        expect(box.locator(".answer-status")).to_have_text("200")
        expect(box.locator(".answer-latency")).to_have_text(re.compile(r"^\d+ ms$"))
        expect(box.locator(".answer-usage")).to_contain_text("total")
        expect(box.locator(".answer-served")).to_contain_text("served by ")
        assert box.locator(".answer-text").inner_text().strip()
    expect(page.locator("#answer-2 .answer-text")).to_be_empty()
    shoot(page, ARTIFACTS, "playground")


def test_a_hostile_tag_does_not_run(page: Page, demo: RunningPlane) -> None:
    hostile = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    with demo.client() as client:
        body = {"add_tags": [{"key": "note", "value": hostile}]}
        assert client.patch("/api/2.0/serving-endpoints/internal-chat/tags", json=body).is_success
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, demo, demo.token)
    for path in ("/ui/", "/ui/endpoints/internal-chat"):
        page.goto(f"{demo.url}{path}")
        expect(page.get_by_text(hostile, exact=False).first).to_be_visible()
        assert page.evaluate("window.__pwned") is None
        assert page.locator('img[src="x"]').count() == 0
    assert dialogs == []


def test_a_blank_page_fails_the_screenshot_check(browser: BrowserContext) -> None:
    tab = browser.new_page()
    try:
        tab.set_content("<html><body style='background:#fff'></body></html>")
        stats = pixel_stats(browser, tab.screenshot())
    finally:
        tab.close()
    assert stats.blank and stats.colours == 1


def test_a_request_body_that_is_not_an_object_is_refused_in_the_page(
    page: Page, demo: RunningPlane
) -> None:
    """``null``, a string or a number is valid JSON but no request body; with Stream ticked
    the page used to throw (setting ``stream`` on it) and leave the previous status shown."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/endpoints/{STREAMED_CHAT}")
    page.click("#send-query")
    expect(page.locator("#query-status")).to_have_text(re.compile(r"^200"))
    page.check("#query-stream")
    for text in ("null", '"hello"', "3", "[1]"):
        page.fill("#query-input", text)
        page.click("#send-query")
        expect(page.locator("#query-status")).to_have_text(
            "Invalid JSON: the request body must be a JSON object."
        )
    assert errors == []


BROKEN_STREAM_JS = """(tail) => {
  const realFetch = window.fetch;
  window.fetch = async (...args) => {
    const response = await realFetch(...args);
    const type = response.headers.get("content-type") || "";
    if (!type.startsWith("text/event-stream")) return response;
    const first = (await response.text()).split("\\n\\n").filter((e) => e.trim())[1];
    const encoder = new TextEncoder();
    let sent = false;
    const body = new ReadableStream({
      pull(controller) {
        if (!sent) {
          sent = true;
          return controller.enqueue(encoder.encode(first + "\\n\\n"));
        }
        if (tail === "error") return controller.error(new TypeError("network error"));
        controller.enqueue(encoder.encode(tail + "\\n\\n"));
        controller.close();
      },
    });
    const init = {status: response.status, statusText: response.statusText};
    return new Response(body, {...init, headers: response.headers});
  };
}"""
"""Let one chat chunk through, then ``tail``: ``error`` breaks the stream as a lost
connection does, anything else is sent as the last event."""


def test_a_broken_stream_is_reported(page: Page, demo: RunningPlane) -> None:
    """A stream cut short (connection lost) or ended by an error event (the plane sends a
    ``{"error_code", "message"}`` event when the model fails mid-answer) must say so in the
    status, not leave ``200 OK`` beside a half answer."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/endpoints/{STREAMED_CHAT}")
    page.check("#query-stream")
    cases = {
        "error": re.compile(r"^200 OK, stream broken: .*network error"),
        'data: {"error_code": "INTERNAL_ERROR", "message": "model crashed"}': re.compile(
            r"^200 OK, stream ended with INTERNAL_ERROR: model crashed$"
        ),
    }
    for tail, status in cases.items():
        page.reload()
        page.check("#query-stream")
        page.evaluate(BROKEN_STREAM_JS, tail)
        page.click("#send-query")
        expect(page.locator("#query-output")).to_have_attribute("data-done", "yes")
        expect(page.locator("#query-status")).to_have_text(status)
    assert errors == []


SLOW_FIRST_ANSWER_JS = """() => {
  const realFetch = window.fetch;
  let calls = 0;
  window.fetch = async (...args) => {
    const response = await realFetch(...args);
    if (++calls > 1) return response;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stale = {choices: [{message: {role: "assistant", content: "STALE ANSWER"}}]};
    const headers = {"content-type": "application/json"};
    return new Response(JSON.stringify(stale), {status: 200, headers});
  };
}"""
"""The first query answers last (after 1.5 s) with a recognisable text."""


def test_a_slow_earlier_answer_does_not_replace_a_newer_one(page: Page, demo: RunningPlane) -> None:
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/playground")
    page.select_option("#pick-0", "support-chat")
    page.evaluate(SLOW_FIRST_ANSWER_JS)
    page.click("#compare")
    page.click("#compare")
    box = page.locator("#answer-0")
    expect(box).to_have_attribute("data-done", "yes")
    page.wait_for_timeout(2000)  # the first, slow answer has arrived by now
    assert box.locator(".answer-text").inner_text().strip()
    expect(box.locator(".answer-text")).not_to_contain_text("STALE ANSWER")


def test_send_waits_for_the_answer_before_another_query(page: Page, demo: RunningPlane) -> None:
    """Two queries in flight would write into one output (two streams interleave)."""
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/endpoints/{STREAMED_CHAT}")
    page.evaluate(SLOW_FIRST_ANSWER_JS)
    page.click("#send-query")
    expect(page.locator("#send-query")).to_be_disabled()
    expect(page.locator("#query-output")).to_have_attribute("data-done", "yes")
    expect(page.locator("#send-query")).to_be_enabled()
    expect(page.locator("#query-output")).to_contain_text("STALE ANSWER")
    page.click("#send-query")
    expect(page.locator("#query-output")).not_to_contain_text("STALE ANSWER")
    expect(page.locator("#query-output")).to_contain_text('"choices"')


def test_pages_load_without_a_failed_request(page: Page, demo: RunningPlane) -> None:
    """Chromium asks every page for an icon; without one it fetches ``/favicon.ico``,
    which the API refuses (401), an error in the console of every page."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else 0)
    log_in(page, demo, demo.token)
    for path in ("/ui/", f"/ui/endpoints/{QUERIED}", "/ui/playground"):
        page.goto(f"{demo.url}{path}")
        page.wait_for_load_state("networkidle")
    assert failed == []


def test_pages_fetch_nothing_but_the_plane(page: Page, demo: RunningPlane) -> None:
    """Offline: no CDN, font or image from elsewhere, on any page or action."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    log_in(page, demo, demo.token)
    page.goto(f"{demo.url}/ui/endpoints/{STREAMED_CHAT}")
    page.click("#send-query")
    expect(page.locator("#query-output")).to_have_attribute("data-done", "yes")
    page.goto(f"{demo.url}/ui/playground")
    page.wait_for_load_state("networkidle")
    assert urls and all(url.startswith(f"{demo.url}/") for url in urls), urls
