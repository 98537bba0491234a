/*
 * The Locust dashboard: polls the JSON routes and keeps the page current.
 *
 * /stats/requests every 2 s (header, statistics, failures, slaves and one
 * chart sample), /exceptions every 5 s.  Start, edit, stop and reset go
 * through /swarm, /stop and /stats/reset.  Every URL is relative, so the
 * dashboard also works behind a proxy under a path prefix.  Text from the
 * server (request names, errors, tracebacks) is only ever put in the page
 * through textContent, never as HTML.
 */
(function () {
  "use strict";

  const STATS_INTERVAL = 2000;
  const EXCEPTIONS_INTERVAL = 5000;

  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const isDistributed = body.dataset.distributed === "1";
  const fmt = window.LineChart.formatValue;

  let state = body.dataset.state;
  let lastReport = null;
  let sortKey = null;          // null: the server's order (name, then method)
  let sortDescending = false;

  // ---- state and header ---------------------------------------------------

  function setState(newState) {
    if (newState === state && body.classList.contains("state-" + newState)) return;
    body.classList.remove("state-" + state);
    body.classList.add("state-" + newState);
    state = newState;
    $("#status").textContent = newState.toUpperCase();
  }

  function formatPercent(ratio) {
    const pct = ratio * 100;
    return (pct > 0 && pct < 1 ? pct.toFixed(1) : Math.round(pct)) + "%";
  }

  function setText(selector, text) {
    const el = $(selector);
    if (el) el.textContent = text;
  }

  // ---- dialogs --------------------------------------------------------------

  function openDialog(id) {
    const overlay = document.getElementById(id);
    overlay.hidden = false;
    overlay.querySelector(".form-error").hidden = true;
    const input = overlay.querySelector("input");
    if (input) input.focus();
  }

  function closeDialogs() {
    document.querySelectorAll(".overlay").forEach((o) => { o.hidden = true; });
  }

  document.querySelectorAll(".overlay").forEach((overlay) => {
    overlay.addEventListener("click", (e) => {
      if (e.target === overlay || e.target.hasAttribute("data-close")) closeDialogs();
    });
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDialogs(); });

  async function submitSwarm(form, isNewTest) {
    const error = form.querySelector(".form-error");
    error.hidden = true;
    try {
      const response = await fetch("./swarm", {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
      });
      const data = await response.json();
      if (!response.ok || !data.success) throw new Error(data.message || response.statusText);
      if (isNewTest) charts.forEach((c) => c.chart.clear());
      // Both forms show what the test runs with now.
      ["#locust-count", "#edit-locust-count"].forEach((id) => { $(id).value = form.locust_count.value; });
      ["#hatch-rate", "#edit-hatch-rate"].forEach((id) => { $(id).value = form.hatch_rate.value; });
      closeDialogs();
      setState("hatching");
      refreshStats();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }

  $("#swarm-form").addEventListener("submit", (e) => { e.preventDefault(); submitSwarm(e.target, true); });
  $("#edit-form").addEventListener("submit", (e) => { e.preventDefault(); submitSwarm(e.target, false); });
  $("#new-test").addEventListener("click", () => openDialog("start-dialog"));
  $("#edit-test").addEventListener("click", () => {
    if (lastReport) $("#edit-locust-count").value = lastReport.user_count;
    openDialog("edit-dialog");
  });
  $("#stop").addEventListener("click", async () => {
    await fetch("./stop");
    refreshStats();
  });
  $("#reset").addEventListener("click", async () => {
    await fetch("./stats/reset");
    refreshStats();
  });

  // ---- tabs -----------------------------------------------------------------

  document.querySelectorAll(".tab").forEach((tab) => {
    tab.addEventListener("click", () => {
      document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
      document.querySelectorAll(".panel").forEach((p) => {
        p.classList.toggle("active", p.id === "panel-" + tab.dataset.tab);
      });
      if (tab.dataset.tab === "charts") charts.forEach((c) => c.chart.draw());
    });
  });

  // ---- tables -----------------------------------------------------------

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function statsRow(s) {
    const tr = document.createElement("tr");
    cell(tr, s.method === null ? "" : s.method);
    cell(tr, s.name, "name");
    cell(tr, s.num_requests, "num");
    cell(tr, s.num_failures, "num" + (s.num_failures ? " fails" : ""));
    cell(tr, fmt(s.median_response_time), "num");
    cell(tr, fmt(s.response_time_percentile_95), "num");
    cell(tr, fmt(s.avg_response_time), "num");
    cell(tr, fmt(s.min_response_time), "num");
    cell(tr, fmt(s.max_response_time), "num");
    cell(tr, Math.round(s.avg_content_length), "num");
    cell(tr, s.current_rps.toFixed(1), "num");
    return tr;
  }

  function renderStats(report) {
    const rows = report.stats.slice(0, -1);
    const total = report.stats[report.stats.length - 1];
    if (sortKey) {
      rows.sort((a, b) => {
        const x = a[sortKey], y = b[sortKey];
        const order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x === null ? "" : x).localeCompare(String(y === null ? "" : y));
        return sortDescending ? -order : order;
      });
    }
    $("#stats-table tbody").replaceChildren(...rows.map(statsRow));
    $("#stats-table tfoot").replaceChildren(statsRow(total));
    $("#stats-empty").hidden = rows.length > 0;
  }

  document.querySelectorAll("#stats-table th").forEach((th) => {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      sortDescending = sortKey === key ? !sortDescending : false;
      sortKey = key;
      document.querySelectorAll("#stats-table th").forEach((h) => {
        h.classList.toggle("sorted-asc", h === th && !sortDescending);
        h.classList.toggle("sorted-desc", h === th && sortDescending);
      });
      if (lastReport) renderStats(lastReport);
    });
  });

  function renderFailures(errors) {
    $("#failures-table tbody").replaceChildren(...errors.map((e) => {
      const tr = document.createElement("tr");
      cell(tr, e.occurrences, "num fails");
      cell(tr, e.method === null ? "" : e.method);
      cell(tr, e.name, "name");
      cell(tr, e.error, "error");
      return tr;
    }));
    $("#failures-empty").hidden = errors.length > 0;
    const badge = $("#failures-badge");
    badge.hidden = errors.length === 0;
    badge.textContent = errors.length;
  }

  function formatHeartbeat(value) {
    // A Unix time (seconds) reads best as an age; anything else as given.
    if (typeof value === "number" && value > 1e9) {
      const age = Math.max(0, Date.now() / 1000 - value);
      return age < 1 ? "just now" : Math.round(age) + " s ago";
    }
    return value === null || value === undefined ? "-" : String(value);
  }

  function renderSlaves(slaves) {
    if (!isDistributed || !slaves) return;
    $("#slaves-table tbody").replaceChildren(...slaves.map((s) => {
      const tr = document.createElement("tr");
      cell(tr, s.id, "name");
      cell(tr, s.state);
      cell(tr, s.user_count, "num");
      cell(tr, formatHeartbeat(s.last_heartbeat));
      return tr;
    }));
    $("#slaves-empty").hidden = slaves.length > 0;
  }

  function renderExceptions(list) {
    $("#exceptions-table tbody").replaceChildren(...list.map((e) => {
      const tr = document.createElement("tr");
      cell(tr, e.count, "num");
      cell(tr, e.msg, "error");
      const td = cell(tr, "");
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "Show traceback";
      const pre = document.createElement("pre");
      pre.className = "traceback";
      pre.textContent = e.traceback;
      details.append(summary, pre);
      td.appendChild(details);
      cell(tr, e.nodes);
      return tr;
    }));
    $("#exceptions-empty").hidden = list.length > 0;
    const badge = $("#exceptions-badge");
    badge.hidden = list.length === 0;
    badge.textContent = list.length;
  }

  // ---- charts -------------------------------------------------------------

  const charts = [
    {canvas: "#chart-rps", title: "Total requests per second",
     series: [{name: "RPS", color: "#2f9e44"}],
     sample: (r) => [r.total_rps]},
    {canvas: "#chart-times", title: "Response times", unit: "ms",
     series: [{name: "Median", color: "#1c7ed6"}, {name: "95th percentile", color: "#f08c00"}],
     sample: (r) => {
       const total = r.stats[r.stats.length - 1];
       return [total.median_response_time, total.response_time_percentile_95];
     }},
    {canvas: "#chart-users", title: "Number of users",
     series: [{name: "Users", color: "#7048e8"}],
     sample: (r) => [r.user_count]},
  ].map((c) => ({
    sample: c.sample,
    chart: new window.LineChart($(c.canvas), {title: c.title, unit: c.unit, series: c.series}),
  }));

  function sampleCharts(report, previousState) {
    // Charts follow a running test; after a stop, one last sample shows the drop.
    const active = report.state === "hatching" || report.state === "running";
    const justStopped = !active && (previousState === "hatching" || previousState === "running");
    if (!active && !justStopped) return;
    const now = Date.now();
    charts.forEach((c) => c.chart.addPoint(now, c.sample(report)));
  }

  // ---- polling ----------------------------------------------------------------

  let statsTimer = null;

  async function refreshStats() {
    clearTimeout(statsTimer);
    try {
      const response = await fetch("./stats/requests", {cache: "no-store"});
      if (!response.ok) throw new Error(response.statusText);
      const report = await response.json();
      const previousState = lastReport ? lastReport.state : state;
      lastReport = report;
      $("#connection-lost").hidden = true;
      setState(report.state);
      setText("#user-count", report.user_count);
      setText("#total-rps", report.total_rps.toFixed(1));
      setText("#fail-ratio", formatPercent(report.fail_ratio));
      if (report.slave_count !== undefined) setText("#slave-count", report.slave_count);
      renderStats(report);
      renderFailures(report.errors);
      renderSlaves(report.slaves);
      sampleCharts(report, previousState);
    } catch (err) {
      $("#connection-lost").hidden = false;
    }
    // Cleared again: a refresh asked for by a button may have overlapped this one.
    clearTimeout(statsTimer);
    statsTimer = setTimeout(refreshStats, STATS_INTERVAL);
  }

  async function refreshExceptions() {
    try {
      const response = await fetch("./exceptions", {cache: "no-store"});
      if (response.ok) renderExceptions((await response.json()).exceptions);
    } catch (err) {
      // The stats poll shows the connection banner.
    }
    setTimeout(refreshExceptions, EXCEPTIONS_INTERVAL);
  }

  setState(state);
  if (state === "ready") openDialog("start-dialog");
  refreshStats();
  refreshExceptions();
})();
