/*
 * The Locust dashboard: polls the JSON routes and keeps the page current.
 *
 * /stats/requests every 2 s (header, statistics, failures, slaves, banners),
 * /stats/history on load and then every 2 s for the samples after the last
 * one (the charts, drawn by charts.js, show the whole test even when the
 * page is opened late or reloaded), /exceptions every 5 s, /logs every 3 s.
 * Start, edit, stop and reset go through /swarm, /stop and /stats/reset.
 * When the server cannot be reached the numbers are greyed out (they are
 * from before) until it answers again.  Every URL is relative, so the
 * dashboard also works behind a proxy under a path prefix.  Text from the
 * server (request names, errors, tracebacks) is only ever put in the page
 * through textContent, never as HTML.
 */
(function () {
  "use strict";

  const STATS_INTERVAL = 2000;
  const EXCEPTIONS_INTERVAL = 5000;
  const LOGS_INTERVAL = 3000;
  const CPU_WARNING = 90;  // % of one core: above it, latencies include the generator's queueing

  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const isDistributed = body.dataset.distributed === "1";
  const fmt = window.LocustCharts.formatValue;

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
      if (isNewTest) { charts.clear(); historyStart = undefined; }
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
    charts.clear();
    historyStart = undefined;
    refreshStats();
    refreshExceptions();
  });

  // ---- tabs -----------------------------------------------------------------

  document.querySelectorAll(".tab").forEach((tab) => {
    tab.addEventListener("click", () => {
      document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
      document.querySelectorAll(".panel").forEach((p) => {
        p.classList.toggle("active", p.id === "panel-" + tab.dataset.tab);
      });
      if (tab.dataset.tab === "charts") charts.resize();
      if (tab.dataset.tab === "logs") {
        unseenWarnings = 0;
        updateLogsBadge();
        $("#logs").scrollTop = $("#logs").scrollHeight;  // the newest lines
      }
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

  /* A name cell that may break after each "/" (long URLs wrap, no sideways scroll). */
  function nameCell(row, name) {
    const td = document.createElement("td");
    td.className = "name";
    String(name).split(/(?<=\/)/).forEach((part, i) => {
      if (i) td.appendChild(document.createElement("wbr"));
      td.appendChild(document.createTextNode(part));
    });
    row.appendChild(td);
    return td;
  }

  function statsRow(s) {
    const tr = document.createElement("tr");
    const timed = s.num_requests + s.num_failures > 0;
    const ms = (v) => timed ? fmt(v) : "-";
    cell(tr, s.method === null ? "" : s.method);
    nameCell(tr, s.name);
    cell(tr, s.num_requests, "num");
    cell(tr, s.num_failures, "num" + (s.num_failures ? " fails" : ""));
    cell(tr, ms(s.median_response_time), "num");
    cell(tr, ms(s.response_time_percentile_95), "num");
    cell(tr, ms(s.response_time_percentile_99), "num");
    cell(tr, ms(s.avg_response_time), "num");
    cell(tr, ms(s.min_response_time), "num col-min");
    cell(tr, ms(s.max_response_time), "num");
    cell(tr, Math.round(s.avg_content_length), "num col-size");
    cell(tr, s.current_rps.toFixed(1), "num");
    cell(tr, s.current_fail_per_sec.toFixed(1), "num" + (s.current_fail_per_sec ? " fails" : ""));
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
      nameCell(tr, e.name);
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

  function formatBytes(value) {
    if (typeof value !== "number") return "-";
    return value >= 1 << 30 ? (value / (1 << 30)).toFixed(1) + " GB" : Math.round(value / (1 << 20)) + " MB";
  }

  function formatCpu(value) {
    return typeof value === "number" ? Math.round(value) + "%" : "-";
  }

  function renderSlaves(report) {
    const slaves = report.slaves;
    if (!isDistributed || !slaves) return;
    $("#slaves-table tbody").replaceChildren(...slaves.map((s) => {
      const tr = document.createElement("tr");
      if (s.state === "missing") tr.className = "missing";
      cell(tr, s.id, "name");
      cell(tr, s.state, s.state === "missing" ? "warn" : "");
      cell(tr, s.user_count, "num");
      const hot = typeof s.cpu_percent === "number" && s.cpu_percent > CPU_WARNING;
      const cpu = cell(tr, formatCpu(s.cpu_percent) + (hot ? " \u26a0" : ""), "num" + (hot ? " hot" : ""));
      if (hot) cpu.title = "Above " + CPU_WARNING + "% CPU: this slave is saturated, its response times include its own queueing";
      cell(tr, formatBytes(s.memory), "num");
      cell(tr, formatHeartbeat(s.last_heartbeat));
      return tr;
    }));
    $("#slaves-empty").hidden = slaves.length > 0;

    // The banner: slaves marked missing run no users the test counts on.
    const missing = slaves.filter((s) => s.state === "missing");
    const banner = $("#slaves-missing");
    if (missing.length) {
      let text = missing.length + " of " + slaves.length + " slaves missing";
      if (report.state === "hatching" || report.state === "running") {
        text += ": " + report.user_count + " of " + report.target_user_count + " users running";
      }
      banner.textContent = text;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  /* The saturation banner: the server's warning (above 90% CPU for 10 s,
     see locust.saturation) or, until then, what is above 90% now. */
  function renderCpuWarning(report) {
    let text = report.cpu_warning || "";
    const active = report.state === "hatching" || report.state === "running";
    if (!text && active) {
      const hot = (report.slaves || []).filter((s) => s.state !== "missing" && s.cpu_percent > CPU_WARNING);
      if (hot.length) {
        text = hot.length + " slave" + (hot.length > 1 ? "s" : "") + " above " + CPU_WARNING +
          "% CPU: response times include the generator's own delays";
      } else if (!isDistributed && report.cpu_percent > CPU_WARNING) {
        text = "This process is above " + CPU_WARNING + "% CPU: response times include the generator's own delays";
      }
    }
    const el = $("#cpu-warning");
    el.textContent = text;
    el.hidden = !text;
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

  // ---- charts: the server's history ------------------------------------------

  const charts = window.LocustCharts.create($("#charts"));
  // For the browser tests and the curious: the charts and their samples.
  window.locustDashboard = {charts: charts};
  let historyStart;  // the history's start_time: it changes with a new test or a reset

  async function refreshHistory() {
    const since = historyStart !== undefined && charts.lastTime !== null ? "?since=" + charts.lastTime : "";
    const response = await fetch("./stats/history" + since, {cache: "no-store"});
    if (!response.ok) throw new Error(response.statusText);
    const history = await response.json();
    if (history.start_time !== historyStart) {
      // A new test or a reset since the last look: take the whole history.
      const restart = since !== "";
      historyStart = history.start_time;
      if (restart) return refreshHistory();
      charts.setData(history);
    } else {
      charts.append(history);
    }
  }

  // ---- logs -------------------------------------------------------------------

  let lastLogId = 0;
  let unseenWarnings = 0;

  function updateLogsBadge() {
    const badge = $("#logs-badge");
    badge.hidden = unseenWarnings === 0;
    badge.textContent = unseenWarnings;
  }

  async function refreshLogs() {
    try {
      const response = await fetch("./logs?since=" + lastLogId, {cache: "no-store"});
      if (response.ok) {
        const lines = (await response.json()).logs;
        const list = $("#logs");
        const onTab = $("#panel-logs").classList.contains("active");
        const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
        lines.forEach((line) => {
          lastLogId = Math.max(lastLogId, line.id);
          const li = document.createElement("li");
          const level = line.level.toLowerCase();
          li.className = "log log-" + level;
          const time = document.createElement("time");
          time.textContent = new Date(line.time * 1000).toLocaleTimeString();
          const lvl = document.createElement("span");
          lvl.className = "log-level";
          lvl.textContent = line.level;
          const text = document.createElement("span");
          text.className = "log-message";
          // A traceback folds under its first line.
          const [first, ...rest] = (line.logger + ": " + line.message).split("\n");
          if (rest.length) {
            const details = document.createElement("details");
            const summary = document.createElement("summary");
            summary.textContent = first;
            const pre = document.createElement("pre");
            pre.textContent = rest.join("\n");
            details.append(summary, pre);
            text.appendChild(details);
          } else {
            text.textContent = first;
          }
          li.append(time, lvl, text);
          list.appendChild(li);
          if (!onTab && (level === "warning" || level === "error" || level === "critical")) unseenWarnings++;
        });
        while (list.children.length > 500) list.firstChild.remove();
        // Follow the newest lines unless the reader scrolled up.
        if (lines.length && atBottom) {
          list.scrollTop = list.scrollHeight;
        }
        $("#logs-empty").hidden = list.children.length > 0;
        updateLogsBadge();
      }
    } catch (err) {
      // The stats poll shows the connection banner.
    }
    setTimeout(refreshLogs, LOGS_INTERVAL);
  }

  // ---- polling ----------------------------------------------------------------

  let statsTimer = null;

  async function refreshStats() {
    clearTimeout(statsTimer);
    try {
      const response = await fetch("./stats/requests", {cache: "no-store"});
      if (!response.ok) throw new Error(response.statusText);
      const report = await response.json();
      lastReport = report;
      setState(report.state);
      setText("#user-count", report.user_count);
      // While a test runs: the last 10 s; once it stopped: the run's average.
      const active = report.state === "hatching" || report.state === "running";
      setText("#rps-label", active || report.state === "ready" ? "RPS" : "Avg RPS");
      setText("#total-rps", (active ? report.total_rps : report.average_rps).toFixed(1));
      setText("#fail-ratio", formatPercent(report.fail_ratio));
      setText("#cpu", formatCpu(report.cpu_percent));
      $("#cpu").classList.toggle("hot", report.cpu_percent > CPU_WARNING);
      if (report.slave_count !== undefined) setText("#slave-count", report.slave_count);
      renderStats(report);
      renderFailures(report.errors);
      renderSlaves(report);
      renderCpuWarning(report);
      await refreshHistory();
      $("#connection-lost").hidden = true;
      body.classList.remove("stale");
    } catch (err) {
      $("#connection-lost").hidden = false;
      body.classList.add("stale");
    }
    // Cleared again: a refresh asked for by a button may have overlapped this one.
    clearTimeout(statsTimer);
    statsTimer = setTimeout(refreshStats, STATS_INTERVAL);
  }

  let exceptionsTimer = null;

  async function refreshExceptions() {
    clearTimeout(exceptionsTimer);
    try {
      const response = await fetch("./exceptions", {cache: "no-store"});
      if (response.ok) renderExceptions((await response.json()).exceptions);
    } catch (err) {
      // The stats poll shows the connection banner.
    }
    clearTimeout(exceptionsTimer);
    exceptionsTimer = setTimeout(refreshExceptions, EXCEPTIONS_INTERVAL);
  }

  setState(state);
  if (state === "ready") openDialog("start-dialog");
  refreshStats();
  refreshExceptions();
  refreshLogs();
})();
