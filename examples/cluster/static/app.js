// The cluster page: one EventSource on the ticks topic of one node, a
// button per node (from the node's /nodes, i.e. go-micro's NATS registry)
// that moves the stream to that node, resuming after the last id seen.
// window.cluster exposes the state to the console and the browser tests.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var maxRows = 200;

  var cluster = window.cluster = {
    ticks: [],    // {id, n, via} in arrival order
    resets: [],   // data of each sse-reset event
    opens: 0,
    gaps: 0,
    dups: 0,
    lastId: "",
    lastN: 0,
    base: "",     // "" is this page's origin; else a node's URL
    served: "",   // the node that answered the last open
    nodes: [],
    es: null,
    connect: connect
  };

  function setState(s) { $("state").textContent = s; }

  function connect(base) {
    if (cluster.es) cluster.es.close();
    cluster.base = base;
    var url = base + "/events?stream=ticks";
    // A new EventSource sends no Last-Event-ID header: pass it in the query.
    if (cluster.lastId) url += "&lastEventId=" + encodeURIComponent(cluster.lastId);
    var es = cluster.es = new EventSource(url);
    // The node is known from the list when the page picked it; through a
    // load balancer (base "") it is asked for on each open.
    cluster.served = nodeAt(base) || cluster.served;
    setState("connecting");
    es.onopen = function () {
      cluster.opens++;
      setState("open");
      // On an open of its own (a reconnect through a load balancer) the
      // node may have changed: the separator says so once /nodes answers.
      var after = cluster.lastId ? ", resuming after " + cluster.lastId : ", live";
      var sep = separator("connected to " + (cluster.served || "?") + after);
      fetch(base + "/nodes").then(function (r) { return r.json(); }).then(function (j) {
        if (cluster.es !== es) return;
        cluster.served = j.self;
        sep.firstChild.textContent = "connected to " + j.self + after;
        render();
        showNodes(j.nodes);
      }).catch(function () {});
    };
    es.onerror = function () {
      setState(es.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    };
    es.addEventListener("tick", function (e) {
      var t = JSON.parse(e.data);
      if (cluster.lastN && t.n > cluster.lastN + 1) cluster.gaps++;
      if (t.n <= cluster.lastN) cluster.dups++;
      cluster.lastN = Math.max(cluster.lastN, t.n);
      cluster.lastId = e.lastEventId;
      cluster.ticks.push({id: e.lastEventId, n: t.n, via: cluster.served});
      row([e.lastEventId, String(t.n), t.at || "", cluster.served || "?"], "");
      render();
    });
    es.addEventListener("sse-reset", function (e) {
      cluster.resets.push(JSON.parse(e.data));
      cluster.lastId = e.lastEventId;
      render();
    });
    showNodes(cluster.nodes);
  }

  // nodeAt returns the id of the node at url, "" when unknown.
  function nodeAt(url) {
    for (var i = 0; i < cluster.nodes.length; i++) {
      if (cluster.nodes[i].url === url) return cluster.nodes[i].id;
    }
    return "";
  }

  function row(cells, cls) {
    var tr = document.createElement("tr");
    tr.className = cls;
    cells.forEach(function (v) {
      var td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    });
    var rows = $("rows");
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > maxRows) rows.removeChild(rows.lastChild);
    return tr;
  }

  function separator(text) {
    var tr = row([], "switch");
    tr.firstChild || tr.appendChild(document.createElement("td"));
    tr.firstChild.colSpan = 4;
    tr.firstChild.textContent = text;
    return tr;
  }

  function render() {
    $("count").textContent = cluster.ticks.length;
    $("gaps").textContent = cluster.gaps;
    $("dups").textContent = cluster.dups;
    $("gaps").classList.toggle("bad", cluster.gaps > 0); // red only when there is one
    $("dups").classList.toggle("bad", cluster.dups > 0);
    $("resets").textContent = cluster.resets.length;
    $("last").textContent = cluster.lastId || "-";
    $("served").textContent = cluster.served || "?";
  }

  function showNodes(nodes) {
    if (!nodes || nodes.length === 0) return;
    cluster.nodes = nodes;
    var p = $("nodes");
    p.textContent = "Nodes: ";
    nodes.forEach(function (n) {
      var b = document.createElement("button");
      b.textContent = "switch to " + n.id;
      b.dataset.node = n.id;
      if (n.id === cluster.served) b.className = "current";
      b.onclick = function () { connect(n.url); };
      p.appendChild(b);
    });
  }

  // The page's own node first, so that the first rows say who served them.
  fetch("nodes").then(function (r) { return r.json(); }).then(function (j) {
    cluster.served = j.self;
    showNodes(j.nodes);
  }).catch(function () {}).then(function () { connect(""); });
})();
