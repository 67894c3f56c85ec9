// "Query endpoint" on an endpoint page: Show example, Send request, status + latency,
// and a chat stream shown as it arrives.
"use strict";

(function () {
  const ui = window.servingUi;
  const form = document.getElementById("query-form");
  const input = document.getElementById("query-input");
  const stream = document.getElementById("query-stream");
  const output = document.getElementById("query-output");
  const status = document.getElementById("query-status");
  const latency = document.getElementById("query-latency");
  const served = document.getElementById("query-served");

  document.getElementById("show-example").addEventListener("click", function () {
    input.value = form.dataset.example;
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    output.textContent = "";
    output.dataset.chunks = "0";
    latency.textContent = served.textContent = "";
    let body;
    try {
      body = JSON.parse(input.value);
    } catch (err) {
      status.textContent = "Invalid JSON: " + err.message;
      return;
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      status.textContent = "Invalid JSON: the request body must be a JSON object.";
      return;
    }
    if (stream && stream.checked) body.stream = true;
    status.textContent = "Sending…";
    const start = performance.now();
    let response;
    try {
      response = await ui.invoke(form.dataset.endpoint, body);
    } catch (err) {
      status.textContent = "Request failed: " + err.message;
      return;
    }
    status.textContent = response.status + " " + response.statusText;
    served.textContent = ui.servedBy(response);
    if ((response.headers.get("content-type") || "").startsWith("text/event-stream")) {
      latency.textContent = "first byte " + ui.ms(start);
      const events = await ui.readEvents(response, function (chunk) {
        output.textContent += chunk.error_code ? JSON.stringify(chunk) : ui.deltaText(chunk);
        output.dataset.chunks = String(Number(output.dataset.chunks) + 1);
      });
      latency.textContent += ", done " + ui.ms(start) + " (" + events + " chunks)";
      output.dataset.done = "yes";
      return;
    }
    const text = await response.text();
    latency.textContent = ui.ms(start);
    try {
      output.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch (err) {
      output.textContent = text;
    }
    output.dataset.done = "yes";
  });
})();
