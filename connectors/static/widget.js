// chatguard web widget: send over a WebSocket (POST as fallback), show the REDACTED copy.
//
// The page never keeps what was typed on screen: the input clears on send and the list shows
// only what chatguard's worker wrote to the clean topic chat.nlp, streamed back over SSE.
// Site key: ?site_key=... on the page URL, or data-site-key="..." on this script's tag.
(() => {
  "use strict";

  const script = document.currentScript;
  const base = new URL(".", script && script.src ? script.src : location.href);
  const siteKey = new URLSearchParams(location.search).get("site_key") || (script && script.dataset.siteKey) || "";

  const $ = (id) => document.getElementById(id);
  const list = $("redacted-list");
  const empty = document.querySelector("[data-testid=empty]");
  const form = $("composer");
  const input = $("message");
  const button = $("send");
  const statusLine = $("status");

  const ACK_TIMEOUT_MS = 10000;
  const MAX_TRIES = 5;

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sessionId(name) {
    const key = "chatguard.widget." + name;
    let value = null;
    try { value = sessionStorage.getItem(key); } catch (_) { /* storage disabled */ }
    if (!value || !/^[A-Za-z0-9_-]{16,128}$/.test(value)) {
      value = randomId();
      try { sessionStorage.setItem(key, value); } catch (_) { /* keep it for this page only */ }
    }
    return value;
  }

  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "status" + (kind ? " " + kind : "");
  }

  if (!siteKey) {
    setStatus("No site key: open this page as /widget/?site_key=YOUR_KEY.", "bad");
    return;
  }

  const conversationId = sessionId("conversation_id");
  const senderId = sessionId("sender_id");
  const withKey = (path, extra) => {
    const url = new URL(path, base);
    url.searchParams.set("site_key", siteKey);
    for (const [k, v] of Object.entries(extra || {})) url.searchParams.set(k, v);
    return url;
  };

  // ---- the redacted echo (server-sent events from chat.nlp) ----

  const shown = new Set();

  function render(event) {
    if (!event || typeof event.text !== "string" || shown.has(event.event_id)) return;
    shown.add(event.event_id);
    const item = document.createElement("li");
    item.className = "bubble";
    item.dataset.testid = "redacted";
    item.dataset.eventId = event.event_id;
    const text = event.text;
    const findings = (Array.isArray(event.findings) ? event.findings : [])
      .filter((f) => Number.isInteger(f.start) && Number.isInteger(f.end) && f.start <= f.end && f.end <= text.length)
      .sort((a, b) => a.start - b.start);
    let at = 0;
    for (const f of findings) {
      if (f.start < at) continue; // overlapping: keep the first
      if (f.start > at) item.append(document.createTextNode(text.slice(at, f.start)));
      const mark = document.createElement("mark");
      mark.className = "entity";
      mark.title = f.entity_type;
      mark.textContent = text.slice(f.start, f.end);
      item.append(mark);
      at = f.end;
    }
    if (at < text.length) item.append(document.createTextNode(text.slice(at)));
    const meta = document.createElement("span");
    meta.className = "meta";
    const n = findings.length;
    meta.textContent = "stored " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
      (n ? " · " + n + " item" + (n === 1 ? "" : "s") + " removed" : "");
    item.append(meta);
    list.append(item);
    empty.hidden = true;
    item.scrollIntoView({ block: "end" });
  }

  const events = new EventSource(withKey("events", { conversation_id: conversationId }));
  let opened = false;
  events.addEventListener("ready", () => {
    if (opened) return; // a reconnect (streams are time-limited): nothing to announce
    opened = true;
    connect(); // the key works: now open the sending side
  });

  function enable() {
    if (!button.disabled) return;
    input.disabled = false;
    button.disabled = false;
    setStatus("Ready.");
    input.focus();
  }
  events.addEventListener("message", (e) => {
    try { render(JSON.parse(e.data)); } catch (_) { /* ignore a malformed event */ }
  });
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) {
      setStatus("Cannot reach the chat service (is the site key right?).", "bad");
      input.disabled = true;
      button.disabled = true;
    }
    // Otherwise EventSource reconnects by itself, and the server replays what it missed.
  });

  // ---- sending (WebSocket, POST as fallback) ----

  // message_id -> {text, tries, timer}: held in memory only until Kafka acknowledged it.
  const pending = new Map();
  let socket = null;

  let reconnectMs = 1000;

  function connect() {
    const url = withKey("ws");
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    ws.addEventListener("open", () => {
      socket = ws;
      reconnectMs = 1000;
      enable();
      for (const id of pending.keys()) transmit(id); // resend: the server drops duplicates
    });
    ws.addEventListener("message", (e) => {
      let reply;
      try { reply = JSON.parse(e.data); } catch (_) { return; }
      if (!reply || !reply.message_id || !pending.has(reply.message_id)) return;
      if (reply.type === "ack") acked(reply.message_id);
      else if (reply.type === "error") retryOrFail(reply.message_id, reply.error, /retry/i.test(reply.error || ""));
    });
    ws.addEventListener("close", () => {
      if (socket === ws) socket = null;
      enable(); // no WebSocket (yet): messages go by POST meanwhile
      setTimeout(connect, reconnectMs);
      reconnectMs = Math.min(reconnectMs * 2, 30000);
    });
  }

  function transmit(id) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.tries += 1;
    const body = JSON.stringify({ message_id: id, conversation_id: conversationId, sender_id: senderId, text: entry.text });
    entry.timer = setTimeout(() => retryOrFail(id, "no answer from the chat service", true), ACK_TIMEOUT_MS);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(body);
      return;
    }
    fetch(new URL("messages", base), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Chatguard-Site-Key": siteKey },
      body,
      credentials: "omit",
      referrerPolicy: "no-referrer",
    }).then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (response.status === 202) acked(id);
      else retryOrFail(id, answer.error || "HTTP " + response.status, response.status >= 500);
    }, () => retryOrFail(id, "network error", true));
  }

  function acked(id) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(id);
    setStatus("sent ✓", "ok");
  }

  function retryOrFail(id, reason, retryable) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (retryable && entry.tries < MAX_TRIES) {
      setStatus("Retrying…");
      entry.timer = setTimeout(() => transmit(id), 1000 * 2 ** (entry.tries - 1));
      return;
    }
    pending.delete(id);
    setStatus("Not sent: " + reason, "bad");
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || button.disabled) return;
    input.value = ""; // the typed text leaves the screen at once
    const id = randomId();
    pending.set(id, { text, tries: 0, timer: null });
    setStatus("Sending…");
    transmit(id);
  });
})();
