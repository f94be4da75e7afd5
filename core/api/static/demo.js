// Reference client for the lab's streaming API: POST /api/generate read as Server-Sent Events with fetch
// and a ReadableStream. Model text is only ever put into the page with textContent: it is shown, never run.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("ask"), promptBox = $("prompt"), modelSelect = $("model"), apiSelect = $("api");
const maxTokens = $("max-tokens"), sendButton = $("send"), cancelButton = $("cancel");
const statusLine = $("status"), answer = $("answer"), textNode = $("text"), cursor = $("cursor");
const errorBox = $("error"), metricsLine = $("metrics");
const base = new URL(".", window.location.href);  // the API's root: this page is served at /api/demo
let controller = null;

function setStatus(message, problem = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle("problem", problem);
}

function showError(title, detail) {
  errorBox.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = title;
  errorBox.append(strong, document.createTextNode(" " + detail));
  errorBox.hidden = false;
}

function streaming(on) {
  cursor.hidden = !on;
  answer.setAttribute("aria-busy", String(on));
  sendButton.disabled = on;
  cancelButton.disabled = !on;
}

// The run's figures as the app shows them: the server sends each metric's name, explanation and value in the lab's
// number format ("shown"), so this page says "Time to first token 1,234 ms" as every page of the app does.
function describe(shown) {
  metricsLine.textContent = "";
  (shown || []).forEach((figure, i) => {
    if (i) metricsLine.append(" · ");
    const part = document.createElement("span");
    part.title = figure.help;
    part.textContent = `${figure.name} ${figure.value}`;
    metricsLine.append(part);
  });
}

async function loadModels() {
  try {
    const response = await fetch(new URL("models", base));
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    modelSelect.textContent = "";
    for (const model of body.models) {
      const option = document.createElement("option");
      option.value = model.model_id;
      option.textContent = `${model.provider} · ${model.name}` + (model.streaming ? "" : " (no streaming)");
      modelSelect.append(option);
    }
    const preferred = body.models.find((m) => m.default) || body.models[0];
    if (preferred) modelSelect.value = preferred.model_id;
    setStatus(`${body.models.length} models on the ${body.backend} backend.`);
  } catch (problem) {
    modelSelect.textContent = "";
    setStatus(`Could not load the models: ${problem.message}. Is the app still running?`, true);
  }
}

// Splits a byte stream into Server-Sent Events ({event, id, data}), as the specification frames them.
async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", id: null, data: [] };
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;  // a comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.event = text;
        else if (field === "id") event.id = text;
        else if (field === "data") event.data.push(text);
      }
      if (event.data.length) yield { ...event, data: JSON.parse(event.data.join("\n")) };
    }
  }
}

async function send(event) {
  event.preventDefault();
  const prompt = promptBox.value;
  if (!prompt.trim()) { setStatus("Write a prompt first.", true); return; }
  if (!modelSelect.value) { setStatus("No model to send to: the model list did not load.", true); return; }
  textNode.textContent = "";
  errorBox.hidden = true;
  metricsLine.textContent = "";
  answer.classList.remove("stopped");
  controller = new AbortController();
  streaming(true);
  setStatus("Connecting…");
  let finished = false;
  try {
    const response = await fetch(new URL("generate", base), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ prompt, model_id: modelSelect.value, api: apiSelect.value,
                             max_tokens: Number(maxTokens.value) || undefined, stream: true }),
      signal: controller.signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({ error: response.statusText }));
      showError(`Error ${response.status}.`, body.error + (body.field ? ` (field: ${body.field})` : ""));
      setStatus(`The request failed before any text (${body.code || response.status}).`, true);
      finished = true;
      return;
    }
    setStatus("Streaming…");
    for await (const message of readEvents(response.body)) {
      if (message.event === "text") {
        textNode.textContent += message.data.text;
        setStatus(`Streaming… ${textNode.textContent.length} characters`);
      } else if (message.event === "done") {
        describe(message.data.shown);
        setStatus("Done.");
        finished = true;
      } else if (message.event === "error") {
        showError("Interrupted after some text:", `${message.data.error} [${message.data.code}]`);
        describe(message.data.shown);
        setStatus(`The stream broke after some text (${message.data.code}); the text so far is kept.`, true);
        finished = true;
      }
    }
    if (!finished) setStatus("The connection closed before the answer was complete; the text so far is kept.", true);
  } catch (problem) {
    if (problem.name === "AbortError") {
      answer.classList.add("stopped");
      setStatus("Cancelled: the partial answer is kept, and the run is recorded as cancelled.");
    } else {
      setStatus(`Connection problem: ${problem.message}. Is the app still running? The text so far is kept.`, true);
    }
  } finally {
    controller = null;
    streaming(false);
  }
}

form.addEventListener("submit", send);
cancelButton.addEventListener("click", () => controller && controller.abort());
promptBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) form.requestSubmit();
});
loadModels();
