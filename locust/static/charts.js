/*
 * Charts of a Locust test over time, drawn with uPlot from history samples.
 *
 * Standalone: it needs uPlot (uPlot.iife.min.js and uPlot.min.css, vendored
 * beside this file), its layout (charts.css) and the DOM, nothing else -- no
 * server, no fetch -- so a static HTML report can inline uPlot, charts.css,
 * this file and the samples:
 *
 *   const charts = LocustCharts.create(document.getElementById("charts"));
 *   charts.setData(history);     // {time: [...], user_count: [...], rps: [...],
 *                                //  fail_per_sec: [...], p50: [...], p95: [...], p99: [...]}
 *   charts.append(moreColumns);  // the same shape: samples after the last one
 *   charts.clear();              // a new test
 *   charts.resize();             // after the container was hidden or resized
 *
 * `time` is Unix seconds; a null percentile (no request in that interval)
 * leaves a gap. Three charts: requests and failures per second, response
 * times (p50, p95, p99 of each interval, not cumulative) and users. Drag
 * across a chart to zoom all three on that time range, double-click to zoom
 * out; click a legend entry to hide or show its series; the PNG button saves
 * the chart with its title and legend. Colours follow the page's CSS
 * variables (--ink, --muted, --line, --card), so a dark theme is followed,
 * also when the system setting changes.
 */
(function (global) {
  "use strict";

  const FIELDS = ["time", "user_count", "rps", "fail_per_sec", "p50", "p95", "p99"];
  const HEIGHT = 240;

  const CHARTS = [
    {id: "rps", title: "Requests per second", unit: "",
     series: [{field: "rps", label: "Requests/s", color: "#2f9e44"},
              {field: "fail_per_sec", label: "Failures/s", color: "#e03131"}]},
    {id: "times", title: "Response times (ms)", unit: " ms",
     series: [{field: "p50", label: "p50", color: "#1c7ed6"},
              {field: "p95", label: "p95", color: "#f08c00"},
              {field: "p99", label: "p99", color: "#ae3ec9"}]},
    {id: "users", title: "Users", unit: "", whole: true,
     series: [{field: "user_count", label: "Users", color: "#7048e8"}]},
  ];

  function formatValue(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "-";
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
    if (Math.abs(value) >= 10 || Number.isInteger(value)) return String(Math.round(value));
    return value.toFixed(1);
  }

  function emptyColumns() {
    const data = {};
    FIELDS.forEach((f) => { data[f] = []; });
    return data;
  }

  function cssVar(el, name, fallback) {
    const value = getComputedStyle(el).getPropertyValue(name).trim();
    return value || fallback;
  }

  function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }

  class Charts {
    constructor(container, options) {
      this.container = container;
      container.classList.add("charts");
      this.options = options || {};
      this.data = emptyColumns();
      this.plots = [];
      this.zoomed = false;
      this.syncing = false;
      this.build();
      this.onResize = () => this.resize();
      global.addEventListener("resize", this.onResize);
      if (global.matchMedia) {
        // Rebuilt with the new colours when the system switches light/dark.
        global.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.build());
      }
    }

    /* The uPlot data of one chart: [times, series...]. */
    columnsOf(spec) {
      return [this.data.time].concat(spec.series.map((s) => this.data[s.field]));
    }

    build() {
      this.plots.forEach((p) => p.plot.destroy());
      this.container.replaceChildren();
      this.plots = [];
      const ink = cssVar(this.container, "--ink", "#1f2a33");
      const muted = cssVar(this.container, "--muted", "#6b7a86");
      const line = cssVar(this.container, "--line", "#dde3e8");
      const width = this.width();
      CHARTS.forEach((spec) => {
        const card = document.createElement("div");
        card.className = "chart-card";
        card.dataset.chart = spec.id;
        const head = document.createElement("div");
        head.className = "chart-head";
        const title = document.createElement("h3");
        title.textContent = spec.title;
        const png = document.createElement("button");
        png.type = "button";
        png.className = "chart-png";
        png.textContent = "PNG";
        png.title = "Save this chart as a PNG image";
        head.append(title, png);
        const body = document.createElement("div");
        body.className = "chart-body";
        card.append(head, body);
        this.container.appendChild(card);
        const axis = {stroke: muted, grid: {stroke: line, width: 1}, ticks: {stroke: line, width: 1}};
        const opts = {
          width: width,
          height: HEIGHT,
          scales: {
            // The whole data at least a minute wide, so that the first points do not
            // spread over sub-second ticks (a zoom inside the data is left as asked).
            x: {time: true, range: (u, min, max) => {
              if (min === null) return [0, 60];
              const t = u.data[0];
              const all = !t.length || (min <= t[0] && max >= t[t.length - 1]);
              return all && max - min < 60 ? [min, min + 60] : [min, max];
            }},
            y: {range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1]},
          },
          cursor: {drag: {x: true, y: false}, sync: {key: "locust-charts"}},
          legend: {live: true},
          series: [{value: (u, v) => v === null ? "-" : new Date(v * 1000).toLocaleTimeString()}]
            .concat(spec.series.map((s) => ({
              label: s.label, stroke: s.color, width: 2, spanGaps: false,
              points: {show: false},
              value: (u, v) => formatValue(v) + (v === null || v === undefined ? "" : spec.unit),
            }))),
          axes: [Object.assign({}, axis),
                 Object.assign({}, axis, {size: 56, values: (u, ticks) => ticks.map(formatValue)},
                   spec.whole ? {incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
                     20000, 50000, 100000, 200000, 500000, 1000000]} : {})],
          hooks: {
            setSelect: [(u) => { if (u.select.width > 0) this.zoomed = true; }],
            setScale: [(u, key) => this.syncZoom(u, key)],
          },
        };
        const plot = new global.uPlot(opts, this.columnsOf(spec), body);
        plot.root.style.color = ink;
        plot.over.addEventListener("dblclick", () => { this.zoomed = false; this.redraw(); });
        png.addEventListener("click", () => this.exportPng(spec, plot));
        this.plots.push({spec: spec, plot: plot, card: card});
      });
    }

    syncZoom(source, key) {
      if (key !== "x" || this.syncing || !this.zoomed) return;
      this.syncing = true;
      const {min, max} = source.scales.x;
      this.plots.forEach((p) => { if (p.plot !== source) p.plot.setScale("x", {min: min, max: max}); });
      this.syncing = false;
    }

    width() {
      return Math.max(240, Math.floor(this.container.clientWidth || 600) - 2);
    }

    /* Replace every sample (columns as served by /stats/history). */
    setData(columns) {
      const data = emptyColumns();
      FIELDS.forEach((f) => { data[f] = (columns && columns[f] ? columns[f] : []).slice(); });
      this.data = data;
      this.zoomed = false;
      this.redraw();
    }

    /* Add samples that follow the last one (older or equal times are skipped). */
    append(columns) {
      const times = (columns && columns.time) || [];
      const last = this.data.time.length ? this.data.time[this.data.time.length - 1] : -Infinity;
      let added = 0;
      times.forEach((t, i) => {
        if (t <= last) return;
        FIELDS.forEach((f) => this.data[f].push(columns[f] ? columns[f][i] : null));
        added++;
      });
      if (added) this.redraw();
      return added;
    }

    clear() {
      this.setData(emptyColumns());
    }

    get length() { return this.data.time.length; }

    get lastTime() {
      return this.data.time.length ? this.data.time[this.data.time.length - 1] : null;
    }

    redraw() {
      this.plots.forEach((p) => p.plot.setData(this.columnsOf(p.spec), !this.zoomed));
    }

    resize() {
      const width = this.width();
      this.plots.forEach((p) => p.plot.setSize({width: width, height: HEIGHT}));
    }

    /* Save one chart as PNG: its title, the plot and the visible series' legend. */
    exportPng(spec, plot) {
      const source = plot.ctx.canvas;
      const ratio = source.width / plot.width || 1;
      const pad = 12 * ratio, titleH = 28 * ratio, legendH = 24 * ratio;
      const canvas = document.createElement("canvas");
      canvas.width = source.width + 2 * pad;
      canvas.height = source.height + titleH + legendH + 2 * pad;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = cssVar(this.container, "--card", "#ffffff");
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = cssVar(this.container, "--ink", "#1f2a33");
      ctx.font = "600 " + 15 * ratio + "px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      ctx.fillText(spec.title, pad, pad + titleH / 2);
      ctx.drawImage(source, pad, pad + titleH);
      let x = pad;
      const y = pad + titleH + source.height + legendH / 2;
      ctx.font = 13 * ratio + "px system-ui, sans-serif";
      spec.series.forEach((s, i) => {
        if (!plot.series[i + 1].show) return;
        ctx.fillStyle = s.color;
        ctx.fillRect(x, y - 5 * ratio, 12 * ratio, 10 * ratio);
        ctx.fillStyle = cssVar(this.container, "--ink", "#1f2a33");
        ctx.fillText(s.label, x + 18 * ratio, y);
        x += ctx.measureText(s.label).width + 36 * ratio;
      });
      const link = document.createElement("a");
      link.download = "locust-" + slug(spec.title) + ".png";
      link.href = canvas.toDataURL("image/png");
      document.body.appendChild(link);
      link.click();
      link.remove();
    }
  }

  global.LocustCharts = {
    create: (container, options) => new Charts(container, options),
    formatValue: formatValue,
    FIELDS: FIELDS,
  };
})(window);
