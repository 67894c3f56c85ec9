// Shared by the serving page's scripts: the UI's query route and an SSE reader.
// Plain JavaScript, no build step. The session cookie (HttpOnly) rides along by itself.
"use strict";

window.servingUi = (function () {
  const prefix = "/ui";

  // POST a JSON body to the UI's query route; resolves to the fetch Response.
  function invoke(endpoint, body) {
    return fetch(prefix + "/api/endpoints/" + encodeURIComponent(endpoint) + "/invocations", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  // Read a text/event-stream body, calling onEvent(parsedJson) for each `data:` line
  // (`[DONE]` ends it). Resolves to the number of events read.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let events = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of block.split("\n")) {
          if (!line.startsWith("data:")) continue;
          const data = line.slice(5).trim();
          if (data === "[DONE]") return events;
          events += 1;
          onEvent(JSON.parse(data));
        }
      }
    }
    return events;
  }

  // The text of a streamed chat chunk (choices[0].delta.content), else "".
  function deltaText(chunk) {
    const choice = (chunk.choices || [])[0] || {};
    return (choice.delta && choice.delta.content) || "";
  }

  // The text of a chat / completions answer, else the JSON itself.
  function answerText(answer) {
    const choice = (answer.choices || [])[0];
    if (choice && choice.message) return choice.message.content || "";
    if (choice && typeof choice.text === "string") return choice.text;
    return JSON.stringify(answer, null, 2);
  }

  function usageText(usage) {
    if (!usage) return "";
    return "tokens: " + usage.prompt_tokens + " in, " + usage.completion_tokens + " out, " +
      usage.total_tokens + " total";
  }

  // "served by <entity>" from the served-model-name header, else "".
  function servedBy(response) {
    const entity = response.headers.get("served-model-name");
    return entity ? "served by " + entity : "";
  }

  function ms(start) {
    return Math.round(performance.now() - start) + " ms";
  }

  return { invoke, readEvents, deltaText, answerText, usageText, servedBy, ms };
})();
