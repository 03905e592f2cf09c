// The demo page: one EventSource on the chosen topics, every event listed
// with its id and type, the connection state, a drop/resume button and a
// form that publishes through the go-micro broker. window.demo exposes the
// state to people poking around in the console and to the browser tests.
(function () {
  "use strict";

  var params = new URLSearchParams(location.search);
  var eventsPath = params.get("events") || "events";
  var maxRows = 300;
  var maxKept = 5000;

  var demo = window.demo = {
    events: [],   // {n, id, type, data, replay} in arrival order
    states: [],   // every state the page went through
    openTimes: [],  // performance.now() of each open event
    errorTimes: [], // performance.now() of each error event
    resets: [],   // data of each sse-reset event, parsed
    opens: 0,     // open events of the current and earlier connections
    errors: 0,    // error events
    lastId: "",   // the last event id seen
    state: "",
    es: null,
    openedAt: 0,
    connect: connect,
    drop: drop,
    resume: resume,
    listen: listen,
    publish: publish,
    topics: topics
  };

  var types = {};
  ["message", "tick", "headline", "chat", "sse-reset"].forEach(function (t) { types[t] = true; });
  (params.get("types") || "").split(",").forEach(function (t) { if (t) types[t] = true; });

  var $ = function (id) { return document.getElementById(id); };
  var stateEl = $("state"), rows = $("rows"), toggle = $("toggle");

  // Topics asked for in the address (?stream=a&stream=b) replace the defaults.
  var wanted = params.getAll("stream");
  if (wanted.length > 0) {
    var boxes = document.querySelectorAll("#topics input[name=topic]");
    boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    wanted.forEach(function (t) {
      if (document.querySelector('#topics input[value="' + CSS.escape(t) + '"]')) return;
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox"; box.name = "topic"; box.value = t; box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + t));
      $("topics").appendChild(label);
    });
  }

  function topics() {
    var out = [];
    document.querySelectorAll("#topics input[name=topic]:checked").forEach(function (b) { out.push(b.value); });
    return out;
  }

  function url(lastId) {
    var q = new URLSearchParams();
    topics().forEach(function (t) { q.append("stream", t); });
    // A new EventSource sends no Last-Event-ID header: the server also
    // takes the id from this query parameter.
    if (lastId) q.set("lastEventId", lastId);
    return eventsPath + "?" + q.toString();
  }

  function setState(s) {
    demo.state = s;
    demo.states.push(s);
    stateEl.textContent = s;
    stateEl.dataset.state = s;
  }

  function connect(lastId) {
    if (demo.es) demo.es.close();
    if (topics().length === 0) {
      demo.es = null;
      setState("closed");
      return;
    }
    var es = new EventSource(url(lastId));
    demo.es = es;
    setState("connecting");
    es.onopen = function () {
      if (es !== demo.es) return;
      demo.opens++;
      demo.openTimes.push(performance.now());
      demo.openedAt = Date.now();
      setState("open");
    };
    es.onerror = function () {
      if (es !== demo.es) return;
      demo.errors++;
      demo.errorTimes.push(performance.now());
      // CONNECTING: the browser retries by itself after the retry delay.
      // CLOSED: it gave up (an HTTP error, a wrong content type).
      setState(es.readyState === EventSource.CLOSED ? "error" : "connecting");
    };
    Object.keys(types).forEach(function (t) { es.addEventListener(t, onEvent); });
    toggle.textContent = "Drop connection";
    $("note").textContent = lastId ? "resumed with lastEventId=" + lastId : "";
  }

  function drop() {
    if (demo.es) demo.es.close();
    demo.es = null;
    setState("closed");
    toggle.textContent = "Resume";
    $("note").textContent = "dropped after id " + (demo.lastId || "–");
  }

  function resume() {
    connect(demo.lastId);
  }

  // listen makes the page list events of one more type (an EventSource only
  // hands named events to listeners registered for that name).
  function listen(type) {
    if (!type || types[type]) return;
    types[type] = true;
    if (demo.es) demo.es.addEventListener(type, onEvent);
  }

  function onEvent(e) {
    if (e.target !== demo.es) return;
    // conn: the connection (1 = first open) the event came on.
    var rec = { n: demo.events.length + 1, id: e.lastEventId, type: e.type, data: e.data, replay: false, conn: demo.opens };
    if (e.lastEventId) demo.lastId = e.lastEventId;
    var parsed = null;
    try { parsed = JSON.parse(e.data); } catch (_) { /* not JSON: shown as is */ }
    // Demo events carry their publish time: one older than this connection
    // was published while the page was away and came from the history.
    if (parsed && typeof parsed.at === "number" && parsed.at < demo.openedAt) rec.replay = true;
    if (e.type === "sse-reset") showReset(parsed || {});
    demo.events.push(rec);
    if (demo.events.length > maxKept) demo.events.splice(0, demo.events.length - maxKept);
    $("lastid").textContent = demo.lastId || "–";
    addRow(rec);
  }

  function showReset(info) {
    demo.resets.push(info);
    var el = $("reset");
    el.hidden = false;
    el.textContent = "sse-reset: the server could not place the last event id " +
      JSON.stringify(info.lastEventId || "") + " (" + (info.reason || "unknown") +
      "); it sent the history it still holds, events may have been missed.";
  }

  function addRow(rec) {
    var tr = document.createElement("tr");
    tr.className = rec.type;
    [String(rec.n), rec.id, rec.type, rec.data].forEach(function (v, i) {
      var td = document.createElement("td");
      td.textContent = v;
      if (i === 3) td.className = "data";
      tr.appendChild(td);
    });
    var td = document.createElement("td");
    if (rec.type !== "sse-reset") {
      var tag = document.createElement("span");
      tag.className = "tag " + (rec.replay ? "replay" : "live");
      tag.textContent = rec.replay ? "replay" : "live";
      td.appendChild(tag);
    }
    tr.appendChild(td);
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > maxRows) rows.removeChild(rows.lastChild);
  }

  // publish posts a message that the server publishes through the go-micro
  // broker; it resolves to the HTTP status.
  function publish(topic, type, text) {
    listen(type);
    return fetch("publish", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ topic: topic, type: type, text: text })
    }).then(function (r) { return r.status; });
  }

  $("send").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    publish(f.topic.value, f.type.value, f.text.value).then(function (status) {
      $("sent").textContent = status === 204 ? "published" : "failed: HTTP " + status;
    }, function (err) {
      $("sent").textContent = "failed: " + err;
    });
  });

  toggle.addEventListener("click", function () {
    if (demo.es) drop(); else resume();
  });
  $("clear").addEventListener("click", function () {
    while (rows.firstChild) rows.removeChild(rows.firstChild);
  });
  $("topics").addEventListener("change", function () { connect(demo.lastId); });

  connect(params.get("lastEventId") || "");
})();
