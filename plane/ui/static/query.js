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
  const send = document.getElementById("send-query");

  document.getElementById("show-example").addEventListener("click", function () {
    input.value = form.dataset.example;
  });

  // Append a chat stream's deltas as they arrive; an error event (the plane's
  // {error_code, message} when the model fails mid-answer) or a broken connection ends it
  // and is said in the status line.
  async function showStream(response, start) {
    latency.textContent = "first byte " + ui.ms(start);
    let failure = "";
    try {
      await ui.readEvents(response, function (chunk) {
        output.dataset.chunks = String(Number(output.dataset.chunks) + 1);
        if (chunk.error_code) {
          failure = ", stream ended with " + chunk.error_code + ": " + (chunk.message || "");
          return;
        }
        output.textContent += ui.deltaText(chunk);
      });
    } catch (err) {
      failure = ", stream broken: " + err.message;
    }
    status.textContent += failure;
    const chunks = output.dataset.chunks;
    latency.textContent += ", done " + ui.ms(start) + " (" + chunks + " chunks)";
  }

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
    // one request at a time: a second answer (or stream) would mix into the first
    send.disabled = true;
    try {
      await query(body);
    } finally {
      send.disabled = false;
    }
  });

  // Send the body and show the answer: status, latency, served entity, text or stream.
  async function query(body) {
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
      await showStream(response, start);
    } else {
      await showAnswer(response, start);
    }
    output.dataset.done = "yes";
  }

  async function showAnswer(response, start) {
    let text;
    try {
      text = await response.text();
    } catch (err) {
      status.textContent += ", answer broken: " + err.message;
      return;
    }
    latency.textContent = ui.ms(start);
    try {
      output.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch (err) {
      output.textContent = text;
    }
  }
})();
