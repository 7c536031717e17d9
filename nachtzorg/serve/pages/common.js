// Shared by both pages: token, API calls with idempotent retries, a server-sent-events reader.
"use strict";
const NZ = {
  token: () => sessionStorage.getItem("nz-token"),
  setToken: (t) => sessionStorage.setItem("nz-token", t.trim()),
  forget: () => sessionStorage.removeItem("nz-token"),
  key() {  // an idempotency key (crypto.randomUUID needs a secure context; this does not)
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  },
  esc(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  },
  hhmm(iso) { if (!iso) return ""; const m = /T(\d\d:\d\d)/.exec(iso); return m ? m[1] : iso; },
  // A write is retried with the same Idempotency-Key, so the server applies it once.
  async api(path, {method = "GET", body, retries = 3} = {}) {
    const headers = {"Authorization": "Bearer " + NZ.token()};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["Idempotency-Key"] = NZ.key();
    let last;
    for (let i = 0; i <= retries; i++) {
      try {
        const r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
        const data = await r.json().catch(() => ({}));
        if (!r.ok) {
          const d = data.detail;
          const msg = Array.isArray(d) ? d.map((e) => e.field + ": " + e.message).join("; ") : (d || r.statusText);
          const err = new Error(msg); err.status = r.status; err.data = data; throw err;
        }
        return data;
      } catch (e) {
        last = e;
        if (e.status) throw e;  // the server answered: no retry
        await new Promise((res) => setTimeout(res, 500 * (i + 1)));
      }
    }
    throw last;
  },
  // Server-sent events over fetch (EventSource cannot send the bearer token).
  async stream(path, onEvent, onState) {
    let after = null;
    for (;;) {
      try {
        const url = after === null ? path : path + "?after=" + after;
        const r = await fetch(url, {headers: {"Authorization": "Bearer " + NZ.token(), "Accept": "text/event-stream"}});
        if (!r.ok) throw new Error("stream " + r.status);
        onState && onState(true);
        const reader = r.body.getReader(); const dec = new TextDecoder(); let buf = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buf += dec.decode(value, {stream: true}).replace(/\r\n/g, "\n");
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i); buf = buf.slice(i + 2);
            const ev = {event: "message", data: ""};
            for (const line of block.split("\n")) {
              const k = line.indexOf(":"); if (k <= 0) continue;
              const f = line.slice(0, k), v = line.slice(k + 1).replace(/^ /, "");
              if (f === "event") ev.event = v; else if (f === "data") ev.data += v; else if (f === "id") ev.id = v;
            }
            if (ev.id) after = parseInt(ev.id, 10);
            if (ev.data) { try { onEvent(ev.event, JSON.parse(ev.data)); } catch (e) { console.error(e); } }
          }
        }
      } catch (e) { console.warn(e); }
      onState && onState(false);
      await new Promise((res) => setTimeout(res, 2000));
    }
  },
  async signIn(role) {
    const box = document.getElementById("signin-box");
    const go = async () => {
      try { const me = await NZ.api("/api/me"); if (role && !role.includes(me.role)) throw new Error("this page is for a " + role.join(" or ")); box.hidden = true; return me; }
      catch (e) { NZ.forget(); box.hidden = false; document.getElementById("signin-msg").textContent = NZ.token() ? e.message : ""; return null; }
    };
    if (NZ.token()) { const me = await go(); if (me) return me; }
    box.hidden = false;
    return new Promise((resolve) => {
      document.getElementById("signin").onclick = async () => {
        NZ.setToken(document.getElementById("token").value);
        const me = await go(); if (me) resolve(me);
      };
    });
  },
  async pickNight() {
    const want = new URLSearchParams(location.search).get("night");
    const nights = await NZ.api("/api/nights");
    const live = nights.filter((n) => n.status === "live");
    return want || (live[0] || nights[0] || {}).night_id || null;
  },
};
