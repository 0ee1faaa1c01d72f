// chatguard web widget: send over a WebSocket (POST as fallback), show the REDACTED copy.
//
// The page never keeps what was typed on screen: the input clears on send and the list shows
// only what chatguard's worker wrote to the clean topic chat.nlp, streamed back over SSE.
// Site key: #site_key=... on the page URL (a fragment never reaches a server), ?site_key=...,
// or data-site-key="..." on this script's tag. The server opens the conversation and hands out
// a short-lived token for it (POST session); the token travels in headers and in the
// WebSocket's first frame, never in a URL, and is kept in this tab's sessionStorage.
(() => {
  "use strict";

  const script = document.currentScript;
  const base = new URL(".", script && script.src ? script.src : location.href);
  const keyIn = (params) => new URLSearchParams(params).get("site_key");
  const siteKey = keyIn(location.hash.slice(1)) || keyIn(location.search) || (script && script.dataset.siteKey) || "";

  const $ = (id) => document.getElementById(id);
  const list = $("redacted-list");
  const empty = document.querySelector("[data-testid=empty]");
  const form = $("composer");
  const input = $("message");
  const button = $("send");
  const statusLine = $("status");

  const ACK_TIMEOUT_MS = 10000;
  const MAX_TRIES = 5;
  const STORE = "chatguard.widget.session";
  const FETCH = { credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store" };

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "status" + (kind ? " " + kind : "");
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  class HttpError extends Error {
    constructor(status, reason, retryAfterS) {
      super(reason || "HTTP " + status);
      this.status = status;
      this.retryAfterS = retryAfterS;
    }
  }

  async function failure(response) {
    const answer = await response.json().catch(() => ({}));
    const retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
    return new HttpError(response.status, answer.error, Number.isFinite(retryAfter) ? retryAfter : 0);
  }

  if (!siteKey) {
    setStatus("No site key: open this page as /widget/#site_key=YOUR_KEY.", "bad");
    return;
  }

  // ---- the session: conversation id and token, from the server ----

  let session = null; // {conversation_id, token, expires_at}
  let renewTimer = null;

  function storedSession() {
    try {
      const s = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (s && typeof s.token === "string" && typeof s.conversation_id === "string" && Number.isInteger(s.expires_at)) return s;
    } catch (_) { /* storage disabled or damaged */ }
    return null;
  }

  function auth(extra) {
    return Object.assign({ "X-Chatguard-Site-Key": siteKey, "Authorization": "Bearer " + session.token }, extra || {});
  }

  // Renews a still-valid token (same conversation), else opens a new conversation.
  async function openSession() {
    const held = session || storedSession();
    const renewing = held && held.expires_at - 5 > Date.now() / 1000;
    const headers = { "X-Chatguard-Site-Key": siteKey };
    if (renewing) headers.Authorization = "Bearer " + held.token;
    const response = await fetch(new URL("session", base), Object.assign({ method: "POST", headers }, FETCH));
    if (!response.ok) {
      if (renewing && response.status === 401) { // not renewable (another key, a new secret): start over
        session = null;
        try { sessionStorage.removeItem(STORE); } catch (_) { /* ignore */ }
        return openSession();
      }
      throw await failure(response);
    }
    const fresh = await response.json();
    const renewed = session && session.conversation_id === fresh.conversation_id;
    session = fresh;
    try { sessionStorage.setItem(STORE, JSON.stringify(fresh)); } catch (_) { /* keep it for this page only */ }
    clearTimeout(renewTimer);
    const lifeMs = (fresh.expires_at - Date.now() / 1000) * 1000;
    renewTimer = setTimeout(() => openSession().catch(() => { /* the next request renews */ }), Math.max(5000, lifeMs * 2 / 3));
    if (renewed && socket) socket.close(); // reconnects with the new token
    return fresh;
  }

  // ---- the redacted echo (server-sent events from chat.nlp, read by fetch) ----

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

  let lastEventId = null;
  let opened = false;

  function fatal(text) {
    setStatus(text, "bad");
    input.disabled = true;
    button.disabled = true;
  }

  function dispatch(block) {
    let name = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "id") lastEventId = value;
      else if (field === "data") data.push(value);
    }
    if (name === "ready") {
      if (opened) return; // a reconnect (streams are time-limited): nothing to announce
      opened = true;
      connect(); // the key and the token work: now open the sending side
    } else if (name === "message" && data.length) {
      try { render(JSON.parse(data.join("\n"))); } catch (_) { /* ignore a malformed event */ }
    }
  }

  async function readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let match;
      while ((match = /\r?\n\r?\n/.exec(buffer))) {
        dispatch(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    }
  }

  async function streamForever() {
    let backoffMs = 1000;
    for (;;) {
      try {
        if (!session) await openSession();
        const headers = auth(lastEventId ? { "Last-Event-ID": lastEventId } : {});
        const response = await fetch(new URL("events", base), Object.assign({ method: "POST", headers }, FETCH));
        if (response.status === 401) { // expired: renew, or a new conversation
          session = null;
          await openSession();
          continue;
        }
        if (!response.ok || !response.body) throw await failure(response);
        backoffMs = 1000;
        await readEvents(response.body); // ends after a while: reconnect, replaying what was missed
      } catch (e) {
        if (e instanceof HttpError && (e.status === 400 || e.status === 401 || e.status === 403)) {
          fatal("Cannot reach the chat service (is the site key right?).");
          return;
        }
        if (!opened) setStatus("Cannot reach the chat service; retrying…", "bad");
        await sleep(e instanceof HttpError && e.retryAfterS ? e.retryAfterS * 1000 : backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30000);
      }
    }
  }

  function enable() {
    if (!button.disabled) return;
    input.disabled = false;
    button.disabled = false;
    setStatus("Ready.");
    input.focus();
  }

  // ---- sending (WebSocket, POST as fallback) ----

  // message_id -> {text, tries, timer}: held in memory only until Kafka acknowledged it.
  const pending = new Map();
  let socket = null;

  let reconnectMs = 1000;

  function connect() {
    const url = new URL("ws", base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "hello", site_key: siteKey, token: session.token }));
    });
    ws.addEventListener("message", (e) => {
      let reply;
      try { reply = JSON.parse(e.data); } catch (_) { return; }
      if (!reply) return;
      if (reply.type === "ready" && socket !== ws) {
        socket = ws;
        reconnectMs = 1000;
        enable();
        for (const id of pending.keys()) transmit(id); // resend: the server drops duplicates
        return;
      }
      if (!reply.message_id || !pending.has(reply.message_id)) return;
      if (reply.type === "ack") acked(reply.message_id);
      else if (reply.type === "error") retryOrFail(reply.message_id, reply.error, /retry/i.test(reply.error || ""));
    });
    ws.addEventListener("close", (e) => {
      if (socket === ws) socket = null;
      enable(); // no WebSocket (yet): messages go by POST meanwhile
      const renew = e.code === 1008 ? () => openSession().catch(() => {}) : () => Promise.resolve();
      setTimeout(() => renew().then(connect), reconnectMs);
      reconnectMs = Math.min(reconnectMs * 2, 30000);
    });
  }

  function transmit(id) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.tries += 1;
    const body = JSON.stringify({ message_id: id, text: entry.text });
    entry.timer = setTimeout(() => retryOrFail(id, "no answer from the chat service", true), ACK_TIMEOUT_MS);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(body);
      return;
    }
    fetch(new URL("messages", base), Object.assign({
      method: "POST",
      headers: auth({ "Content-Type": "application/json" }),
      body,
    }, FETCH)).then(async (response) => {
      if (response.status === 202) return acked(id);
      const error = await failure(response);
      if (response.status === 401) await openSession().catch(() => {});
      retryOrFail(id, error.message, response.status >= 500 || response.status === 429 || response.status === 401, error.retryAfterS);
    }, () => retryOrFail(id, "network error", true));
  }

  function acked(id) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(id);
    setStatus("sent ✓", "ok");
  }

  function retryOrFail(id, reason, retryable, afterS) {
    const entry = pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (retryable && entry.tries < MAX_TRIES) {
      setStatus("Retrying…");
      entry.timer = setTimeout(() => transmit(id), Math.max(1000 * 2 ** (entry.tries - 1), (afterS || 0) * 1000));
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

  streamForever();
})();
