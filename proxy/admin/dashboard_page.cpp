#include "admin/dashboard_page.h"

namespace causeway::admin {

namespace {

// Rates and percentiles come from the difference of two polls (running totals on the
// server), and each route's history (rate, p99, error ratio) lives only in the page, so
// the proxy keeps no time series of its own.
constexpr std::string_view kPage = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Causeway</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --ink: #1d2430; --muted: #6a7384; --line: #dde2ea; --ok: #1f8a4c; --bad: #c0392b; --accent: #2f6fdf; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f5f7fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 18px; }
  header .meta { color: var(--muted); }
  main { padding: 16px 24px; display: grid; gap: 16px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
  section h2 { margin: 0 0 8px; font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 8px; border-top: 1px solid var(--line); vertical-align: middle; }
  td { white-space: nowrap; }  /* a name or a "1.79 ms" split over two lines reads badly */
  th { border-top: 0; color: var(--muted); font-weight: 600; font-size: 12px; }
  td.num { font-variant-numeric: tabular-nums; text-align: right; }
  th.num { text-align: right; }
  .state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; }
  .state.ok { background: #e3f4ea; color: var(--ok); }
  .state.bad { background: #fbe7e5; color: var(--bad); }
  .state.idle { background: #eef0f4; color: var(--muted); }
  .mode { color: var(--muted); font-size: 12px; }
  .lag { font-size: 12px; color: var(--muted); white-space: normal; }
  svg.spark { width: 120px; height: 24px; display: block; }
  svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-linecap: round; }
  svg.spark.p99 polyline { stroke: #8e44ad; }
  svg.spark.errors polyline { stroke: var(--bad); }
  .facts { display: flex; gap: 32px; flex-wrap: wrap; }
  .facts div span { display: block; color: var(--muted); font-size: 12px; }
  #error { color: var(--bad); }
</style>
</head>
<body>
<header><h1>Causeway</h1><span class="meta" id="version"></span><span class="meta" id="updated">waiting for the first poll</span><span id="error"></span></header>
<main>
  <section>
    <h2>Proxy</h2>
    <div class="facts">
      <div><span>readiness</span><b id="readiness">-</b></div>
      <div><span>pending replies</span><b id="pending">-</b></div>
      <div><span>pending callbacks</span><b id="callbacks">-</b></div>
      <div><span>last reload</span><b id="reload">-</b></div>
    </div>
  </section>
  <section>
    <h2>Routes</h2>
    <table>
      <thead><tr><th>route</th><th>mode</th><th class="num">requests</th><th class="num">rate /s</th><th>rate, last minutes</th>
        <th class="num">errors</th><th>errors, last minutes</th><th class="num">p50</th><th class="num">p99</th>
        <th>p99, last minutes</th><th class="num">stream clients</th><th>consumer lag (partition: messages)</th></tr></thead>
      <tbody id="routes"></tbody>
    </table>
  </section>
  <section>
    <h2>Brokers</h2>
    <table>
      <thead><tr><th>broker</th><th>type</th><th>address</th><th>state</th><th>circuit breaker</th>
        <th class="num">refused while open</th></tr></thead>
      <tbody id="brokers"></tbody>
    </table>
  </section>
  <section>
    <h2>Upstreams</h2>
    <table>
      <thead><tr><th>upstream</th><th>type</th><th>circuit breaker</th></tr></thead>
      <tbody id="upstreams"></tbody>
    </table>
  </section>
</main>
<script>
"use strict";
const POLL_MS = 2000, HISTORY = 90;  // 90 polls: the last three minutes
let previous = null;                  // the last poll: {at, routes: name -> route}
const history = {};                   // route -> {rate, p99, errors}: a value per poll, null when nothing was observed

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (text instanceof Node) td.appendChild(text); else td.textContent = text;
  return td;
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = "state " + kind;
  span.textContent = text;
  return span;
}

// The bound below which `q` of the observations fall, interpolated within the bucket.
function quantile(q, buckets) {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0, lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === null) return lowerBound;  // in +Inf: the largest finite bound is all we know
      const inBucket = count - lowerCount;
      return lowerBound + (bound - lowerBound) * (inBucket > 0 ? (rank - lowerCount) / inBucket : 1);
    }
    lowerBound = bound === null ? lowerBound : bound;
    lowerCount = count;
  }
  return lowerBound;
}

// Buckets observed since the previous poll (null when there were none), or all of them on the first.
function intervalBuckets(now, before) {
  if (!before || before.buckets.length !== now.buckets.length) return now.buckets;
  const diff = now.buckets.map(([bound, count], i) => [bound, count - before.buckets[i][1]]);
  const seen = diff.length ? diff[diff.length - 1][1] : 0;
  return seen > 0 ? diff : null;
}

function remember(name, point) {
  const kept = history[name] || (history[name] = {rate: [], p99: [], errors: []});
  for (const key of Object.keys(kept)) kept[key] = kept[key].concat([point[key]]).slice(-HISTORY);
  return kept;
}

function percent(ratio) {
  return (ratio * 100).toFixed(1) + " %";
}

function duration(seconds) {
  if (seconds === null) return "-";
  return seconds < 1 ? (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1) + " ms" : seconds.toFixed(2) + " s";
}

// Scaled to its highest value, which its tooltip tells. Each run of values is one line
// (a lone value a dot); a null, a poll with nothing observed, leaves a gap.
function sparkline(values, kind, show) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark " + kind);
  svg.setAttribute("viewBox", "0 0 120 24");
  const top = Math.max(...values.filter((v) => v !== null), 1e-9);
  const title = document.createElementNS(ns, "title");
  title.textContent = "highest: " + show(top);
  svg.appendChild(title);
  let run = [];
  const draw = () => {
    if (!run.length) return;
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", (run.length === 1 ? [run[0], run[0]] : run).join(" "));
    svg.appendChild(line);
    run = [];
  };
  values.forEach((v, i) => {
    if (v === null) return draw();
    run.push(((i * 120) / (HISTORY - 1)).toFixed(1) + "," + (22 - (v / top) * 20).toFixed(1));
  });
  draw();
  return svg;
}

function breakerBadge(state) {
  return badge(state, state === "closed" ? "ok" : state === "open" ? "bad" : "idle");
}

function render(data, at) {
  document.getElementById("version").textContent = "version " + data.version;
  document.getElementById("updated").textContent = "updated " + new Date(at).toLocaleTimeString();
  const ready = document.getElementById("readiness");
  ready.replaceChildren(data.ready ? badge("ready", "ok") : badge(data.readiness, "bad"));
  document.getElementById("pending").textContent = data.pending_replies;
  document.getElementById("callbacks").textContent = data.pending_callbacks;
  const reload = data.last_reload;
  document.getElementById("reload").replaceChildren(reload.result === "none"
      ? badge("none since start", "idle")
      : badge(reload.result + " at " + reload.at + ": " + reload.message, reload.result === "success" ? "ok" : "bad"));

  const seconds = previous ? (at - previous.at) / 1000 : 0;
  const rows = data.routes.map((route) => {
    const before = previous && previous.routes[route.name];
    const rate = before && seconds > 0 ? Math.max(0, route.requests - before.requests) / seconds : 0;
    const newRequests = before ? route.requests - before.requests : route.requests;
    const newErrors = before ? route.errors - before.errors : route.errors;
    const recentRatio = newRequests > 0 ? newErrors / newRequests : null;
    const recent = intervalBuckets(route, before);
    const past = remember(route.name, {rate, p99: recent ? quantile(0.99, recent) : null, errors: recentRatio});
    // A quiet poll shows what was seen before it rather than nothing.
    const ratio = recentRatio !== null ? recentRatio : route.requests > 0 ? route.errors / route.requests : 0;
    const buckets = recent || route.buckets;
    const lag = route.lag.length
        ? route.lag.map((l) => l.partition + ": " + l.messages).join(", ")
        : route.mode === "delivery" || route.mode === "bridge" ? "none reported" : "";
    const tr = document.createElement("tr");
    tr.dataset.route = route.name;
    tr.append(cell(route.name), cell(route.mode, "mode"), cell(String(route.requests), "num requests"),
              cell(rate.toFixed(2), "num"), cell(sparkline(past.rate, "rate", (v) => v.toFixed(2) + " /s")),
              cell(percent(ratio), "num errors"), cell(sparkline(past.errors, "errors", percent)),
              cell(duration(quantile(0.5, buckets)), "num p50"), cell(duration(quantile(0.99, buckets)), "num p99"),
              cell(sparkline(past.p99, "p99", duration)),
              cell(route.stream_clients === null ? "" : String(route.stream_clients), "num clients"), cell(lag, "lag"));
    return tr;
  });
  document.getElementById("routes").replaceChildren(...rows);

  document.getElementById("brokers").replaceChildren(...data.brokers.map((broker) => {
    const tr = document.createElement("tr");
    tr.dataset.broker = broker.name;
    const kind = broker.state === "ready" ? "ok" : broker.state === "unknown" ? "idle" : "bad";
    tr.append(cell(broker.name), cell(broker.type, "mode"), cell(broker.address), cell(badge(broker.state, kind)),
              cell(breakerBadge(broker.breaker)), cell(String(broker.refused), "num refused"));
    return tr;
  }));

  document.getElementById("upstreams").replaceChildren(...data.upstreams.map((upstream) => {
    const tr = document.createElement("tr");
    tr.dataset.upstream = upstream.name;
    tr.append(cell(upstream.name), cell(upstream.type, "mode"), cell(breakerBadge(upstream.breaker)));
    return tr;
  }));

  previous = {at, routes: Object.fromEntries(data.routes.map((r) => [r.name, r]))};
}

async function poll() {
  try {
    const response = await fetch("/dashboard.json", {cache: "no-store"});
    if (!response.ok) throw new Error("/dashboard.json answered " + response.status);
    render(await response.json(), Date.now());
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = "cannot reach the proxy: " + error.message;
  }
  setTimeout(poll, POLL_MS);
}
poll();
</script>
</body>
</html>
)PAGE";

}  // namespace

std::string_view dashboard_page() { return kPage; }

}  // namespace causeway::admin
