// The playground: one prompt to up to three chat endpoints at once, answers side by side
// with latency and token usage.
"use strict";

(function () {
  const ui = window.servingUi;
  const form = document.getElementById("playground-form");
  if (!form) return;

  async function ask(slot, endpoint, prompt) {
    const box = document.getElementById("answer-" + slot);
    const text = box.querySelector(".answer-text");
    const status = box.querySelector(".answer-status");
    const latency = box.querySelector(".answer-latency");
    const usage = box.querySelector(".answer-usage");
    const served = box.querySelector(".answer-served");
    box.querySelector(".answer-endpoint").textContent = endpoint;
    text.textContent = "";
    status.textContent = "Sending…";
    latency.textContent = usage.textContent = served.textContent = "";
    delete box.dataset.done;
    // a newer Send supersedes this one: its answer, however late, is dropped
    const ticket = String(Number(box.dataset.ticket || "0") + 1);
    box.dataset.ticket = ticket;
    if (!endpoint) {
      status.textContent = "";
      return;
    }
    const start = performance.now();
    const body = { messages: [{ role: "user", content: prompt }], max_tokens: 256 };
    try {
      const response = await ui.invoke(endpoint, body);
      const answer = await response.json();
      if (box.dataset.ticket !== ticket) return;
      latency.textContent = ui.ms(start);
      status.textContent = String(response.status);
      text.textContent = response.ok ? ui.answerText(answer) : answer.message || "";
      usage.textContent = ui.usageText(answer.usage);
      served.textContent = ui.servedBy(response);
    } catch (err) {
      if (box.dataset.ticket !== ticket) return;
      status.textContent = "Request failed: " + err.message;
    }
    box.dataset.done = "yes";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const prompt = document.getElementById("prompt").value;
    document.querySelectorAll("select.pick").forEach(function (select, slot) {
      ask(slot, select.value, prompt);
    });
  });
})();
