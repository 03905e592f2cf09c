package sharedtabs

// Page is the test page: it opens the URL in its query parameter u with
// SharedEventSource (or, with plain=1, the browser's EventSource) and
// records what it gets in window.got (the data of each message),
// window.resets, window.opens and window.errors. stale sets the module's
// staleAfter in milliseconds. Its state, window.items, is what a snapshot
// ("state" events: the whole list as JSON) sets and each message adds to.
const Page = `<!doctype html><meta charset="utf-8"><title>shared tabs</title>
<script type="module">
import { SharedEventSource } from "/events/sse-v1.js";
const q = new URLSearchParams(location.search);
window.got = []; window.resets = []; window.opens = 0; window.errors = 0; window.items = [];
const init = q.get("stale") ? { staleAfter: +q.get("stale") } : {};
const es = q.get("plain") ? new EventSource(q.get("u")) : new SharedEventSource(q.get("u"), init);
es.onopen = () => window.opens++;
es.onerror = () => window.errors++;
es.onmessage = (e) => { got.push(e.data); if (!items.includes(e.data)) items.push(e.data); };
es.addEventListener("state", (e) => { items = JSON.parse(e.data); });
es.addEventListener("sse-reset", (e) => resets.push(JSON.parse(e.data)));
window.es = es;
</script>`
