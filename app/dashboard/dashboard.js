// spillway incident dashboard: polls GET /v1/backlog every 2 s and updates the page in place
// (no re-render, so nothing flickers). The admin token is asked for once and kept in
// sessionStorage (this tab only). GET /v1/backlog's "retention" object and GET /v1/replays fill
// the "Retention and replays" section. With --cluster-nodes the node also serves
// GET /v1/cluster/backlog, and the cluster section shows it; otherwise that route answers 404
// and the section stays hidden.
"use strict";
(function () {
  const POLL_MS = 2000;
  const TREND_POINTS = 300;  // 10 minutes at 2 s
  const TREND_WINDOW_MS = 120000;  // the chart shows at least two minutes
  const TOKEN_KEY = "spillway.adminToken";
  const trend = [];          // {t, events} ring, oldest first
  let inFlight = false;
  let clusterInFlight = false;
  let replaysInFlight = false;
  // The retention section joins two polls: the summary from GET /v1/backlog and the jobs from
  // GET /v1/replays (null until it answered; jobsError when it could not).
  const retention = { summary: null, jobs: null, jobsError: "" };
  let clusterState = "probing";  // "on" once the cluster route answered, "off" after its 404
  let pendingAction = null;  // action to retry once a token is given
  const limits = { rate: 0, concurrency: 1 };  // as last reported by the server

  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
  function fmtInt(n) { return Math.round(n).toLocaleString("en-US"); }
  function fmtBytes(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
  }
  function fmtDuration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  // "2026-12-05 15:40:01" (UTC, as the CLI's --from/--to) from the server's RFC 3339 UTC times.
  function fmtTime(iso) { return iso ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, "") : "–"; }
  // "2026-12-05 13:00:00 → 15:30:00": the end's date only when it is another day.
  function fmtRange(from, to) {
    const a = fmtTime(from), b = fmtTime(to);
    return a + " → " + (a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b);
  }
  function fmtRate(r) { return r >= 100 ? fmtInt(r) : (Math.round(r * 10) / 10).toString(); }

  function askToken(then) {
    pendingAction = then || null;
    $("token-dialog").hidden = false;
    $("token-input").focus();
  }

  class ApiError extends Error {}

  async function api(method, path, body) {
    const headers = {};
    if (token()) headers["Authorization"] = "Bearer " + token();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      const err = new ApiError(res.status === 401 ? "admin token required" : "wrong admin token");
      err.auth = true;
      throw err;
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new ApiError((json.error && json.error.message) || ("HTTP " + res.status));
      err.status = res.status;
      throw err;
    }
    return json;
  }

  function renderTotals(b) {
    const t = b.totals, d = b.drain, r = b.rates;
    $("total-events").dataset.value = t.events;
    setText($("total-events"), fmtInt(t.events) + " events");
    setText($("total-bytes"), fmtBytes(t.bytes) + " queued, " + fmtInt(t.dead_letters) + " dead letters");
    setText($("oldest-age"), fmtDuration(t.events > 0 ? t.oldest_age_s : 0));
    $("accounts-behind").dataset.value = t.accounts_with_backlog;
    setText($("accounts-behind"), fmtInt(t.accounts_with_backlog));
    setText($("accounts-total"), "of " + fmtInt(t.accounts) + " accounts");
    setText($("rates"), fmtRate(r.ingest_per_s) + " / " + fmtRate(r.drain_per_s));
    setText($("eta-all"), d.eta_all_s === null ? (t.events > 0 ? "unknown" : "now") : fmtDuration(d.eta_all_s));
    const badge = $("drain-state");
    badge.dataset.state = d.state;
    setText(badge, d.state.replace("_", " "));
    setText($("d-state"), d.state.replace("_", " "));
    setText($("d-policy"), d.policy);
    setText($("d-concurrency"), d.in_flight_requests + " in flight, limit " + d.concurrency_limit + " of " + d.max_concurrency);
    setText($("d-request-size"), requestSizeText(d.request_size));
    setText($("d-rate"), d.max_events_per_sec > 0 ? fmtInt(d.max_events_per_sec) + " events/s" : "no cap");
    setText($("d-delivered"), fmtInt(d.delivered_total) + " events");
    setText($("d-retries"), fmtInt(d.retries_total) + " / " + fmtInt(d.dead_lettered_total));
    // Show the current limits as the inputs' placeholders (never overwrite what is typed).
    $("limit-rate").placeholder = d.max_events_per_sec > 0 ? String(d.max_events_per_sec) : "0 = none";
    $("limit-concurrency").placeholder = String(d.max_concurrency);
    limits.rate = d.max_events_per_sec;
    limits.concurrency = d.max_concurrency;
  }

  // "430 events (target 250 ms; cost 5.1 ms + 340 µs/event)": the size and the model it
  // came from; a fixed size (target 0) shows its bound only.
  function requestSizeText(rs) {
    if (!rs) return "–";
    if (rs.target_ms === 0) return fmtInt(rs.events) + " events (fixed)";
    const model = rs.cost_per_event_us > 0
      ? "; cost " + rs.cost_fixed_ms.toFixed(1) + " ms + " + rs.cost_per_event_us.toFixed(0) + " µs/event"
      : "";
    return fmtInt(rs.events) + " events (target " + rs.target_ms + " ms" + model + ")";
  }

  function sortAccounts(list) {
    const eta = (a) => (a.eta_s === null ? Infinity : a.eta_s);
    return list.slice().sort((a, b) => (eta(b) - eta(a)) || (b.depth - a.depth) ||
      (a.name < b.name ? -1 : 1));
  }

  function makeRow(name) {
    const tr = document.createElement("tr");
    tr.dataset.account = name;
    tr.innerHTML = '<td class="name"></td><td class="num depth"></td><td><div class="bar"></div></td>' +
      '<td class="num age"></td><td class="num rate"></td><td class="num eta"></td>' +
      '<td class="status"></td><td><button type="button" class="toggle"></button></td>';
    tr.querySelector(".name").textContent = name;
    tr.querySelector(".toggle").addEventListener("click", () => {
      const paused = tr.classList.contains("paused");
      const path = "/v1/accounts/" + encodeURIComponent(name) + (paused ? "/resume" : "/pause");
      act("POST", path, undefined, (paused ? "resumed " : "paused ") + name);
    });
    return tr;
  }

  function renderAccounts(accounts) {
    const body = document.querySelector("#accounts tbody");
    const rows = new Map();
    for (const tr of body.children) rows.set(tr.dataset.account, tr);
    const sorted = sortAccounts(accounts);
    const maxDepth = Math.max(1, ...sorted.map((a) => a.depth));
    sorted.forEach((a, i) => {
      let tr = rows.get(a.name);
      if (!tr) tr = makeRow(a.name);
      rows.delete(a.name);
      tr.classList.toggle("paused", a.paused);
      tr.dataset.depth = a.depth;
      setText(tr.querySelector(".depth"), fmtInt(a.depth));
      tr.querySelector(".bar").style.width = (100 * a.depth / maxDepth).toFixed(1) + "%";
      setText(tr.querySelector(".age"), fmtDuration(a.oldest_age_s));
      setText(tr.querySelector(".rate"), fmtRate(a.drain_rate) + "/s");
      setText(tr.querySelector(".eta"), a.eta_s === null ? "–" : fmtDuration(a.eta_s));
      const status = tr.querySelector(".status");
      const text = a.paused ? "paused" : a.last_error ? a.last_error : a.in_flight ? "sending" : "queued";
      setText(status, text);
      status.className = "status" + (a.last_error && !a.paused ? " err" : "");
      status.title = a.last_error || "";
      setText(tr.querySelector(".toggle"), a.paused ? "Resume" : "Pause");
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    for (const tr of rows.values()) tr.remove();
    $("no-backlog").hidden = sorted.length > 0;
  }

  // Keyed rows updated in place, in `items` order: rows whose key is gone are removed.
  function syncRows(tbody, items, keyOf, make, update) {
    const rows = new Map();
    for (const tr of tbody.children) rows.set(tr.dataset.key, tr);
    items.forEach((item, i) => {
      const key = keyOf(item);
      let tr = rows.get(key);
      if (!tr) { tr = make(); tr.dataset.key = key; }
      rows.delete(key);
      update(tr, item);
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    });
    for (const tr of rows.values()) tr.remove();
  }

  // A row of `n` cells; the cells listed in `numeric` are right-aligned.
  function makeCells(n, numeric) {
    const tr = document.createElement("tr");
    for (let i = 0; i < n; i++) {
      const td = document.createElement("td");
      if (numeric.includes(i)) td.className = "num";
      tr.appendChild(td);
    }
    return tr;
  }

  // Cells whose text is null keep their content (a cell holding elements, such as a bar).
  function setCells(tr, texts) {
    texts.forEach((t, i) => { if (t !== null) setText(tr.children[i], t); });
  }

  function nodeStateText(n) {
    if (!n.reachable) return "unreachable";
    if (!n.counted) return "listed twice";  // its node id was counted already (docs/http_api.md)
    return n.state || "unknown";
  }

  function renderClusterNodes(nodes) {
    syncRows(document.querySelector("#cluster-nodes tbody"), nodes, (n) => n.url || "(self)",
      () => makeCells(9, [4, 5, 6, 7, 8]),
      (tr, n) => {
        const up = n.reachable && n.counted;
        tr.classList.toggle("down", !n.reachable);
        tr.classList.toggle("twice", n.reachable && !n.counted);
        tr.title = n.error || "";
        tr.children[3].classList.toggle("err", !n.reachable);  // cut to the cell (full: title)
        setCells(tr, [(n.node || "?") + (n.self ? " (this node)" : ""), n.url || "this node",
          nodeStateText(n), up ? (n.drain || "–").replace("_", " ") : (n.error || ""),
          up ? fmtInt(n.events) : "–", up ? fmtBytes(n.bytes) : "",
          up ? fmtInt(n.accounts_with_backlog) : "", up ? fmtDuration(n.oldest_age_s) : "",
          up ? fmtRate(n.ingest_per_s) + " / " + fmtRate(n.drain_per_s) : ""]);
      });
  }

  function renderClusterAccounts(accounts) {
    syncRows(document.querySelector("#cluster-accounts tbody"), accounts, (a) => a.name,
      () => makeCells(5, [1, 2, 3]),
      (tr, a) => setCells(tr, [a.name, fmtInt(a.depth), fmtDuration(a.oldest_age_s),
        fmtRate(a.drain_rate) + "/s", a.nodes.map((n) => (n.node || "?") + " " + fmtInt(n.depth)).join(", ")]));
  }

  function renderCluster(c) {
    const t = c.totals;
    const down = c.nodes.filter((n) => !n.reachable).map((n) => n.url);
    const summary = $("cluster-summary");
    setText(summary, t.answered + " of " + t.nodes + " nodes answered" +
      (down.length > 0 ? "; unreachable: " + down.join(", ") : ""));
    summary.classList.toggle("err", down.length > 0);
    renderClusterNodes(c.nodes);
    setText($("cluster-answered"), t.answered + " of " + t.nodes + " nodes");
    $("cluster-events").dataset.value = t.events;
    setText($("cluster-events"), fmtInt(t.events));
    setText($("cluster-bytes"), fmtBytes(t.bytes));
    setText($("cluster-behind"), fmtInt(t.accounts_with_backlog));
    setText($("cluster-oldest"), fmtDuration(t.oldest_age_s));
    setText($("cluster-rates"), fmtRate(t.ingest_per_s) + " / " + fmtRate(t.drain_per_s));
    renderClusterAccounts(c.accounts);
  }

  function renderRetained(r) {
    $("retained-events").dataset.value = r.events;
    setText($("retained-events"), fmtInt(r.events) + " events");
    setText($("retained-bytes"), fmtBytes(r.bytes) +
      (r.max_bytes > 0 ? " of " + fmtBytes(r.max_bytes) + " budget" : ""));
    $("retained-oldest").dataset.value = r.oldest_delivered_at || "";
    setText($("retained-oldest"), r.oldest_age_s === null ? "–" : fmtDuration(r.oldest_age_s));
    setText($("retained-oldest-at"), r.oldest_delivered_at === null ? "nothing retained"
      : "delivered " + fmtTime(r.oldest_delivered_at) + " UTC: a replay reaches back to here");
    const state = r.shedding ? "shedding" : r.enabled ? "on" : "off";
    $("retention-state").dataset.state = state;
    setText($("retention-state"), state);
    const budget = r.max_bytes > 0 ? ", at most " + fmtBytes(r.max_bytes) : "";
    setText($("retention-budget"), r.shedding ? "disk short: nothing new kept, oldest dropped first"
      : r.enabled ? "keeps " + fmtDuration(r.keep_s) + budget : "expiring what an earlier run kept");
    const d = r.dropped;
    const early = d.budget + d.disk + d.not_kept;
    $("retained-dropped").dataset.early = early;
    setText($("retained-dropped"), fmtInt(early) + " / " + fmtInt(d.expired));
    $("retained-dropped").classList.toggle("err-line", early > 0);
    setText($("retained-dropped-detail"), "budget " + fmtInt(d.budget) + ", disk " +
      fmtInt(d.disk) + ", not kept " + fmtInt(d.not_kept) + " (since start)");
  }

  function jobFilters(j) {
    const parts = [];
    if (j.accounts.length > 0) parts.push("accounts " + j.accounts.join(", "));
    if (j.types.length > 0) parts.push("types " + j.types.join(", "));
    if (j.events.length > 0) {
      parts.push("events " + j.events.map((e) => JSON.stringify(e)).join(", "));
    }
    return parts.length > 0 ? parts.join("; ") : "all events";
  }

  function makeReplayRow() {
    const tr = makeCells(9, [0, 5, 6, 7]);
    tr.children[3].className = "filters";
    const cell = document.createElement("div");
    cell.className = "progcell";
    const bar = document.createElement("div");
    bar.className = "progress";
    for (const part of ["enqueued", "delivered"]) {
      const layer = document.createElement("div");
      layer.className = part;
      bar.appendChild(layer);
    }
    const pct = document.createElement("span");
    pct.className = "pct";
    cell.append(bar, pct);
    tr.children[4].appendChild(cell);
    return tr;
  }

  // Every string here comes from the server (account and event names of the filters): cells
  // get them as text only.
  function updateReplayRow(tr, j) {
    const of = (n) => (j.matched > 0 ? Math.min(1, n / j.matched) : j.state === "running" ? 0 : 1);
    const done = of(j.delivered);
    tr.className = j.state;
    tr.dataset.progress = Math.round(100 * done);
    tr.querySelector(".enqueued").style.width = (100 * of(j.enqueued)).toFixed(1) + "%";
    tr.querySelector(".delivered").style.width = (100 * done).toFixed(1) + "%";
    tr.querySelector(".progress").title = fmtInt(j.delivered) + " delivered, " +
      fmtInt(j.enqueued) + " enqueued of " + fmtInt(j.matched) + " matched";
    setText(tr.querySelector(".pct"), Math.floor(100 * done) + "%");
    const delivering = j.state !== "running" && j.delivered < j.enqueued;
    tr.children[1].title = j.finished_at ? "finished " + fmtTime(j.finished_at) + " UTC" : "";
    setCells(tr, [String(j.id), j.state + (delivering ? ", delivering" : ""),
      fmtRange(j.from, j.to), jobFilters(j), null, fmtInt(j.matched), fmtInt(j.enqueued),
      fmtInt(j.delivered), fmtTime(j.created_at)]);
  }

  // "Retention off" is one line when nothing is kept and no job exists; otherwise the
  // retained totals and the jobs, newest first.
  function renderRetention() {
    const r = retention.summary, jobs = retention.jobs || [];
    $("retention").hidden = r === null;
    if (r === null) return;
    const off = !r.enabled && r.events === 0 && jobs.length === 0;
    $("retention-off").hidden = !off;
    $("retention-body").hidden = off;
    if (off) return;
    renderRetained(r);
    const sorted = jobs.slice().sort((a, b) => b.id - a.id);
    syncRows(document.querySelector("#replays tbody"), sorted, (j) => String(j.id),
      makeReplayRow, updateReplayRow);
    $("no-replays").hidden = jobs.length > 0 || retention.jobs === null;
    $("replays-error").hidden = retention.jobsError === "";
    setText($("replays-error"), retention.jobsError);
  }

  function drawTrend() {
    const canvas = $("trend");
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
    if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    if (trend.length === 0) return;
    const max = Math.max(1, ...trend.map((p) => p.events));
    const pad = 4, left = 64;
    g.strokeStyle = "#e2e6eb"; g.fillStyle = "#6b7685"; g.font = "11px system-ui, sans-serif";
    for (const f of [0, 0.5, 1]) {
      const y = pad + (h - 2 * pad) * (1 - f);
      g.beginPath(); g.moveTo(left, y); g.lineTo(w, y); g.stroke();
      g.fillText(fmtInt(max * f), 4, y + 4);
    }
    // Time axis: the last TREND_WINDOW_MS, or the whole history when shorter is not enough.
    const now = trend[trend.length - 1].t;
    const span = Math.max(TREND_WINDOW_MS, now - trend[0].t);
    const x = (i) => left + (w - left) * (1 - (now - trend[i].t) / span);
    const y = (v) => pad + (h - 2 * pad) * (1 - v / max);
    g.beginPath();
    trend.forEach((p, i) => (i === 0 ? g.moveTo(x(i), y(p.events)) : g.lineTo(x(i), y(p.events))));
    g.strokeStyle = "#2b6cb0"; g.lineWidth = 2; g.stroke();
    g.lineTo(x(trend.length - 1), h - pad); g.lineTo(x(0), h - pad); g.closePath();
    g.fillStyle = "rgba(43,108,176,.12)"; g.fill();
    setText($("trend-span"), "last " + fmtDuration(span / 1000));
  }

  // A bug in this page (not a failed request) must surface as a page error.
  function surfaceBug(e) {
    if (!(e instanceof ApiError) && !(e instanceof TypeError && /fetch/i.test(e.message))) {
      setTimeout(() => { throw e; });
    }
  }

  async function poll() {
    if (inFlight) return;
    inFlight = true;
    try {
      const b = await api("GET", "/v1/backlog?top=100&sort=eta");
      renderTotals(b);
      renderAccounts(b.accounts);
      retention.summary = b.retention || null;
      renderRetention();
      trend.push({ t: Date.now(), events: b.totals.events });
      while (trend.length > TREND_POINTS) trend.shift();
      drawTrend();
      setText($("updated"), "updated " + new Date().toLocaleTimeString());
    } catch (e) {
      const badge = $("drain-state");
      badge.dataset.state = "error";
      setText(badge, e.auth ? "token needed" : "unreachable");
      setText($("updated"), e.message);
      if (e.auth && $("token-dialog").hidden) askToken();
      surfaceBug(e);
    } finally {
      inFlight = false;
    }
  }

  // Its own poll: a peer that hangs delays GET /v1/cluster/backlog by up to the node's
  // --cluster-timeout-ms, and must not hold back this node's own numbers.
  async function pollCluster() {
    if (clusterInFlight || clusterState === "off") return;
    clusterInFlight = true;
    try {
      const c = await api("GET", "/v1/cluster/backlog?top=50");
      clusterState = "on";
      $("cluster").hidden = false;
      renderCluster(c);
    } catch (e) {
      if (e.status === 404) {
        clusterState = "off";  // no --cluster-nodes on this node: stop asking
        $("cluster").hidden = true;
      } else if (clusterState === "on") {
        setText($("cluster-summary"), "cluster view failed: " + e.message);
      }
      surfaceBug(e);
    } finally {
      clusterInFlight = false;
    }
  }

  // Its own poll too: the jobs always need the admin token, even with --open-reads, and the
  // page must not ask for it on their account (the backlog poll asks when it needs one).
  async function pollReplays() {
    if (replaysInFlight) return;
    replaysInFlight = true;
    try {
      retention.jobs = (await api("GET", "/v1/replays")).replays;
      retention.jobsError = "";
    } catch (e) {
      retention.jobsError = e.auth ? "The replay jobs need the admin token (Admin token, top right)."
        : "Replay jobs unavailable: " + e.message;
      surfaceBug(e);
    } finally {
      replaysInFlight = false;
    }
    renderRetention();
  }

  function refresh() {
    poll();
    pollCluster();
    pollReplays();
  }

  async function act(method, path, body, done) {
    if (!token()) return askToken(() => act(method, path, body, done));
    try {
      await api(method, path, body);
      setText($("action-status"), done + " at " + new Date().toLocaleTimeString());
      poll();
    } catch (e) {
      if (e.auth) return askToken(() => act(method, path, body, done));
      setText($("action-status"), "failed: " + e.message);
    }
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    $("token-input").value = "";
    $("token-dialog").hidden = true;
    const next = pendingAction;
    pendingAction = null;
    if (next) next();
    refresh();
  });
  $("token-button").addEventListener("click", () => askToken());
  $("pause-all").addEventListener("click", () => act("POST", "/v1/drain/pause", undefined, "paused all draining"));
  $("resume-all").addEventListener("click", () => act("POST", "/v1/drain/resume", undefined, "resumed draining"));
  $("limits-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    // An empty field keeps the current value.
    const rateText = $("limit-rate").value.trim(), concText = $("limit-concurrency").value.trim();
    const rate = rateText === "" ? limits.rate : Number(rateText);
    const conc = concText === "" ? limits.concurrency : Number(concText);
    if (!(rate >= 0)) return setText($("action-status"), "rate cap must be 0 or more");
    if (!(conc >= 1)) return setText($("action-status"), "set max concurrency (1..4096)");
    act("PUT", "/v1/drain/limits", { max_events_per_sec: rate, max_concurrency: conc },
      "limits set to " + (rate > 0 ? rate + " events/s" : "no rate cap") + ", concurrency " + conc);
  });
  window.addEventListener("resize", drawTrend);
  refresh();
  setInterval(refresh, POLL_MS);
})();
