// sse-v1.js: SharedEventSource, version 1, served by go-micro-sse beside its
// events endpoint (/events/sse-v1.js). An ES module with no dependencies.
//
//   import { SharedEventSource } from "/events/sse-v1.js";
//   const es = new SharedEventSource("/events?stream=news");
//   es.addEventListener("sse-reset", e => refetch(JSON.parse(e.data)));
//   es.onmessage = e => show(e.data);
//
// It is an EventSource (readyState, url, withCredentials, onopen, onmessage,
// onerror, addEventListener, close; MessageEvents with data, lastEventId,
// type) whose tabs share one connection. The tabs of one origin (one browser
// profile) that open the same URL elect one leader with the Web Locks API;
// the leader holds the real EventSource and forwards every event to the
// other tabs over a BroadcastChannel. When the leader's tab closes, crashes
// or is discarded its lock is released, the next tab leads and reopens the
// stream with the last id it has seen (?lastEventId=); every tab drops an
// event whose id it already has, so no tab sees a gap or a duplicate.
// Every event needs an id of its own: the server gives one to each.
//
// A frozen leader (a tab the browser suspended) answers nothing: followers
// ping the leader every staleAfter/3 ms and, when a ping goes unanswered for
// staleAfter ms (init.staleAfter, default 6000), one of them steals the lock
// and leads. The thawed old leader finds its lock stolen and follows.
//
// Where a plain EventSource gives up for good on a non-200 answer, this one
// asks the server with one fetch what the answer was: after 204, 401 or 403
// it stops for good (readyState CLOSED, an error event); after anything else
// (429 or 503 with Retry-After, a proxy's 502, 503 or 504, no answer) it
// comes back after Retry-After, else after a jittered backoff growing from
// 1 s to 30 s.
//
// Without Web Locks or BroadcastChannel (or with init.shared === false) each
// tab holds its own connection, with the same recovery. Limits: only tabs of
// one browser profile share (a private window opens its own connection);
// tabs share a connection per distinct URL; a tab that joins a shared stream
// gets the events from then on (a ?rewind=N in the URL is served to the
// first connection only).

const CONNECTING = 0, OPEN = 1, CLOSED = 2;
const FINAL = new Set([204, 401, 403]); // statuses after which it stops for good
const SEEN = 1024; // event ids remembered per tab, to drop duplicates; events kept for joiners

export class SharedEventSource extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSED = CLOSED;

  constructor(url, init = {}) {
    super();
    this.url = new URL(url, location.href).href;
    this._origin = new URL(this.url).origin;
    this.withCredentials = !!init.withCredentials;
    this.readyState = CONNECTING;
    this._staleAfter = init.staleAfter || 6000;
    this._idParam = init.lastEventIdParam || "lastEventId";
    this._lastId = "";
    this._seen = new Set();
    this._types = new Set(); // named event types wanted by any tab
    this._attempt = 0; // reconnections since the last open
    this._gen = 0; // the current lock request; older grants are let go
    const shared = init.shared !== false && typeof BroadcastChannel === "function" &&
      typeof navigator !== "undefined" && navigator.locks;
    if (!shared) {
      this._connect();
      return;
    }
    const name = "sse-v1 " + this.withCredentials + " " + this.url;
    this._lock = name;
    this._bc = new BroadcastChannel(name);
    this._bc.onmessage = (m) => this._receive(m.data);
    this._heard = Date.now();
    // With ?snapshot or ?rewind the stream's beginning matters: every tab
    // keeps what it delivered (up to SEEN events) for tabs that join, and
    // a joining tab holds the leader's events until it has been told the
    // beginning (welcome).
    const q = new URL(this.url).searchParams;
    this._log = q.has("snapshot") || q.has("rewind") ? [] : null;
    this._waiting = !!this._log;
    this._held = [];
    this._id = Math.random().toString(36).slice(2);
    this._post({ t: "hello", from: this._id });
    this._timer = setInterval(() => this._check(), Math.max(50, this._staleAfter / 3));
    this._request(false);
  }

  // leader is true while this tab holds the connection the tabs share.
  get leader() { return !!this._es || !!this._release; }

  get CONNECTING() { return CONNECTING; }
  get OPEN() { return OPEN; }
  get CLOSED() { return CLOSED; }

  addEventListener(type, fn, opts) {
    super.addEventListener(type, fn, opts);
    if (type === "open" || type === "error" || type === "message" || this._types.has(type)) return;
    this._types.add(type);
    if (this._es) this._es.addEventListener(type, this._onEvent);
    this._post({ t: "types", types: [type] });
  }

  // close ends this tab's stream for good; if it led, another tab leads.
  close() {
    if (this.readyState === CLOSED && !this._bc && !this._es) return;
    this.readyState = CLOSED;
    this._gen++;
    this._stopLeading();
    clearInterval(this._timer);
    if (this._abort) this._abort.abort();
    if (this._bc) this._bc.close();
    this._bc = null;
  }

  // --- the lock: who leads ---

  // _request asks for the lock; steal takes it from a leader that does not
  // answer. A grant or loss of an older request is ignored.
  _request(steal) {
    const gen = ++this._gen;
    if (this._abort) this._abort.abort();
    this._abort = steal ? null : new AbortController();
    const opts = steal ? { steal: true } : { signal: this._abort.signal };
    navigator.locks.request(this._lock, opts, () => {
      if (gen !== this._gen) return; // let an old grant go at once
      return new Promise((release) => {
        this._release = release;
        this._post({ t: "lead" });
        this._welcome([]);
        this._connect();
      });
    }).catch(() => {
      if (gen !== this._gen) return; // aborted by a newer request or close
      this._stopLeading(); // stolen: follow, and queue again
      this._request(false);
    });
  }

  // _check runs on the followers' timer: ping the leader, and steal the
  // lock when the last ping went unanswered for staleAfter.
  _check() {
    if (this._es || this._release || this.readyState === CLOSED) return;
    const now = Date.now();
    if (this._pingAt && this._heard < this._pingAt && now - this._pingAt > this._staleAfter) {
      this._pingAt = 0;
      this._request(true);
      return;
    }
    if (!this._pingAt || this._heard >= this._pingAt) {
      this._pingAt = now;
      this._post({ t: "ping" });
    }
  }

  // --- the leader: the real EventSource ---

  _connect() {
    clearTimeout(this._retry);
    if (this.readyState === CLOSED) return;
    const u = new URL(this.url);
    if (this._lastId) u.searchParams.set(this._idParam, this._lastId);
    const es = new EventSource(u.href, { withCredentials: this.withCredentials });
    this._es = es;
    let prev = "";
    this._onEvent = (e) => {
      if (this._es !== es) return;
      const own = e.lastEventId !== prev; // an id of its own, not the one before inherited
      prev = e.lastEventId;
      this._deliver(e.type, e.data, e.lastEventId, own, true);
    };
    es.onmessage = this._onEvent;
    for (const t of this._types) es.addEventListener(t, this._onEvent);
    es.onopen = () => {
      if (this._es !== es) return;
      this._attempt = 0;
      this._state(OPEN, true);
    };
    es.onerror = () => {
      if (this._es !== es) return;
      if (es.readyState === CONNECTING) { this._state(CONNECTING, true); return; } // it retries by itself
      es.close();
      this._es = null;
      this._state(CONNECTING, true);
      this._probe(u.href);
    };
  }

  // _probe asks the server what it answered when the EventSource gave up,
  // then stops for good or comes back later.
  async _probe(href) {
    let status = 0, after = 0;
    const ac = new AbortController();
    try {
      const r = await fetch(href, {
        headers: { Accept: "text/event-stream" }, cache: "no-store", signal: ac.signal,
        credentials: this.withCredentials ? "include" : "same-origin",
      });
      status = r.status;
      after = parseInt(r.headers.get("Retry-After"), 10) || 0;
    } catch (_) { /* no answer: come back later */ }
    ac.abort(); // the body (a stream, when it answers 200) is not read
    if (this.readyState === CLOSED || this._es || (this._bc && !this._release)) return;
    if (FINAL.has(status)) {
      this._post({ t: "final" });
      this._final();
      return;
    }
    const backoff = Math.min(30000, 1000 * 2 ** this._attempt++) * (0.5 + Math.random());
    const wait = after > 0 ? after * 1000 * (1 + Math.random() / 5) : backoff;
    this._retry = setTimeout(() => this._connect(), wait);
  }

  _stopLeading() {
    clearTimeout(this._retry);
    if (this._es) this._es.close();
    this._es = null;
    if (this._release) this._release();
    this._release = null;
  }

  // _final ends the stream for good in this tab (the server said 204, 401
  // or 403).
  _final() {
    this.close();
    this._dispatch(new Event("error"));
  }

  // --- every tab ---

  // _deliver hands an event to this tab's listeners unless its id was
  // seen; the leader forwards it first.
  _deliver(type, data, id, own, lead) {
    if (id && own) {
      const key = type + " " + id;
      if (this._seen.has(key)) return;
      this._seen.add(key);
      if (this._seen.size > SEEN) this._seen.delete(this._seen.values().next().value);
    }
    if (id) this._lastId = id;
    if (this._log) {
      this._log.push({ type, data, id, own });
      if (this._log.length > SEEN) this._log = false; // too long to replay: joiners connect on their own
    }
    if (lead) this._post({ t: "event", type, data, id, own });
    this._dispatch(new MessageEvent(type, { data, lastEventId: id, origin: this._origin }));
  }

  // _state sets readyState: open once on OPEN, error on every failure (as
  // EventSource does), nothing when a new tab is told the state (welcome).
  _state(s, lead, welcome) {
    if (lead) this._post({ t: "state", s });
    if (this.readyState === CLOSED || (s === this.readyState && (s === OPEN || welcome))) return;
    this.readyState = s;
    this._dispatch(new Event(s === OPEN ? "open" : "error"));
  }

  _dispatch(ev) {
    const h = this["on" + ev.type];
    if (typeof h === "function") h.call(this, ev);
    this.dispatchEvent(ev);
  }

  // _welcome delivers, to a joining tab, the events of the stream's
  // beginning (log), then the ones held while it waited for them; with
  // no log to replay (false) the tab holds a connection of its own.
  _welcome(log) {
    if (!this._waiting) return;
    this._waiting = false;
    if (log === false) {
      this._gen++;
      if (this._abort) this._abort.abort();
      clearInterval(this._timer);
      this._bc.close();
      this._bc = null;
      this._connect();
      return;
    }
    for (const e of [...log, ...this._held]) this._deliver(e.type, e.data, e.id, e.own, false);
    this._held = [];
  }

  _post(m) {
    if (this._bc) this._bc.postMessage(m);
  }

  _receive(m) {
    if (m.t !== "hello" && m.t !== "ping" && m.t !== "types") this._heard = Date.now(); // the leader's
    for (const t of m.types || []) {
      if (!this._types.has(t)) {
        this._types.add(t);
        if (this._es) this._es.addEventListener(t, this._onEvent);
      }
    }
    const leading = !!this._release;
    switch (m.t) {
      case "hello": // a new tab: tell it the state, every type wanted and the beginning
        if (leading) this._post({ t: "welcome", s: this.readyState, types: [...this._types], to: m.from, log: this._log });
        break;
      case "lead": // a new leader: ask it again for the beginning
        if (this._waiting) this._post({ t: "hello", from: this._id });
        break;
      case "ping": // answered from a timer: a frozen page runs none (it may still get messages)
        if (leading) setTimeout(() => this._release && this._post({ t: "pong" }), 0);
        break;
      case "event":
        // Another tab's events while this one leads: a lock stolen while
        // this page was frozen (it thaws believing it leads). Until its own
        // connection is open they are the stream's: delivered (ids drop
        // what its connection repeats), not lost.
        if (leading && this._es && this._es.readyState === OPEN) break;
        if (this._waiting) this._held.push(m);
        else this._deliver(m.type, m.data, m.id, m.own, false);
        break;
      case "state":
      case "welcome":
        if (!leading) this._state(m.s, false, m.t === "welcome");
        if (m.to === this._id) this._welcome(m.log === false ? false : m.log || []);
        break;
      case "final":
        this._final();
        break;
    }
  }
}

export default SharedEventSource;
