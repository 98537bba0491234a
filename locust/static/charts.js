/*
 * A small time-series line chart drawn on <canvas>, for the Locust dashboard.
 *
 *   const chart = new LineChart(canvas, {
 *     title: "Response times", unit: "ms",
 *     series: [{name: "Median", color: "#2f9e44"}, {name: "95th percentile", color: "#f08c00"}],
 *   });
 *   chart.addPoint(Date.now(), [12.5, 40]);   // one value per series
 *
 * Points are kept in memory for the whole run and the chart redraws itself
 * when points are added, when the window is resized and when the mouse
 * hovers (a crosshair with the values at the nearest point).  A hidden
 * canvas (an inactive tab) has no size: drawing is skipped and redone by
 * calling draw() when it is shown.
 */
(function (global) {
  "use strict";

  const PAD = {left: 58, right: 18, top: 38, bottom: 30};
  const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  // Tick spacings for the time axis, in seconds.
  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];

  /* A "nice" step (1, 2 or 5 times a power of ten) that splits `range` in about `count` parts. */
  function niceStep(range, count) {
    const raw = range / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const scaled = raw / power;
    return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
  }

  function formatValue(value) {
    if (value === null || value === undefined || isNaN(value)) return "-";
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
    if (Math.abs(value) >= 10 || Number.isInteger(value)) return String(Math.round(value));
    return value.toFixed(1);
  }

  function formatTime(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  class LineChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.title = options.title;
      this.unit = options.unit || "";
      this.series = options.series;
      this.times = [];
      this.values = this.series.map(() => []);
      this.hoverX = null;
      canvas.addEventListener("mousemove", (e) => {
        this.hoverX = e.clientX - canvas.getBoundingClientRect().left;
        this.draw();
      });
      canvas.addEventListener("mouseleave", () => { this.hoverX = null; this.draw(); });
      global.addEventListener("resize", () => this.draw());
    }

    /* Append one sample: `time` in ms since the epoch, `values` one number per series. */
    addPoint(time, values) {
      this.times.push(time);
      values.forEach((v, i) => this.values[i].push(v));
      this.draw();
    }

    /* Forget every point (a new test starts). */
    clear() {
      this.times = [];
      this.values = this.series.map(() => []);
      this.draw();
    }

    get length() { return this.times.length; }

    draw() {
      const canvas = this.canvas;
      const rect = canvas.getBoundingClientRect();
      if (!rect.width || !rect.height) return;  // hidden tab: drawn when shown
      const ratio = global.devicePixelRatio || 1;
      if (canvas.width !== Math.round(rect.width * ratio) ||
          canvas.height !== Math.round(rect.height * ratio)) {
        canvas.width = Math.round(rect.width * ratio);
        canvas.height = Math.round(rect.height * ratio);
      }
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const w = rect.width, h = rect.height;
      ctx.clearRect(0, 0, w, h);
      ctx.font = FONT;

      this.drawHeader(ctx, w);
      const plot = {x0: PAD.left, x1: w - PAD.right, y0: h - PAD.bottom, y1: PAD.top};
      const n = this.times.length;
      if (!n) {
        ctx.fillStyle = "#8896a0";
        ctx.textAlign = "center";
        ctx.fillText("No data yet: start a test", (plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2);
        return;
      }
      const tMin = this.times[0];
      const tMax = Math.max(this.times[n - 1], tMin + 10000);  // at least 10 s wide
      let vMax = 0;
      for (const list of this.values) for (const v of list) if (v > vMax) vMax = v;
      const step = niceStep(vMax > 0 ? vMax : 1, 4);
      vMax = Math.max(step, Math.ceil(vMax / step) * step);
      const xOf = (t) => plot.x0 + (t - tMin) / (tMax - tMin) * (plot.x1 - plot.x0);
      const yOf = (v) => plot.y0 - v / vMax * (plot.y0 - plot.y1);

      this.drawAxes(ctx, plot, step, vMax, tMin, tMax, xOf, yOf);
      this.series.forEach((s, i) => {
        const list = this.values[i];
        ctx.strokeStyle = s.color;
        ctx.lineWidth = 2;
        ctx.lineJoin = "round";
        ctx.beginPath();
        let started = false;
        for (let k = 0; k < n; k++) {
          const v = list[k];
          if (v === null || v === undefined) { started = false; continue; }
          if (started) ctx.lineTo(xOf(this.times[k]), yOf(v));
          else { ctx.moveTo(xOf(this.times[k]), yOf(v)); started = true; }
        }
        ctx.stroke();
      });
      if (this.hoverX !== null && this.hoverX >= plot.x0 && this.hoverX <= plot.x1) {
        this.drawHover(ctx, plot, xOf, yOf, tMin, tMax);
      }
    }

    drawHeader(ctx, w) {
      ctx.fillStyle = "#1f2a33";
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      ctx.font = "600 14px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
      ctx.fillText(this.title, 8, 16);
      ctx.font = FONT;
      // The legend, right-aligned: a colour swatch and a name per series.
      let x = w - PAD.right;
      for (let i = this.series.length - 1; i >= 0; i--) {
        const s = this.series[i];
        const width = ctx.measureText(s.name).width;
        x -= width;
        ctx.fillStyle = "#46555f";
        ctx.fillText(s.name, x, 16);
        x -= 18;
        ctx.fillStyle = s.color;
        ctx.fillRect(x, 11, 12, 10);
        x -= 18;
      }
    }

    drawAxes(ctx, plot, step, vMax, tMin, tMax, xOf, yOf) {
      ctx.lineWidth = 1;
      ctx.textBaseline = "middle";
      ctx.textAlign = "right";
      for (let v = 0; v <= vMax + step / 2; v += step) {
        const y = Math.round(yOf(v)) + 0.5;
        ctx.strokeStyle = v === 0 ? "#aab6bf" : "#e6eaee";
        ctx.beginPath();
        ctx.moveTo(plot.x0, y);
        ctx.lineTo(plot.x1, y);
        ctx.stroke();
        ctx.fillStyle = "#6b7a86";
        ctx.fillText(formatValue(v) + (this.unit ? " " + this.unit : ""), plot.x0 - 6, y);
      }
      // Time ticks at whole multiples of a step giving at least ~90 px between labels.
      const span = (tMax - tMin) / 1000;
      const wanted = Math.max(1, (plot.x1 - plot.x0) / 90);
      const tStep = (TIME_STEPS.find((s) => span / s <= wanted) || 43200) * 1000;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      for (let t = Math.ceil(tMin / tStep) * tStep; t <= tMax; t += tStep) {
        const x = Math.round(xOf(t)) + 0.5;
        ctx.strokeStyle = "#aab6bf";
        ctx.beginPath();
        ctx.moveTo(x, plot.y0);
        ctx.lineTo(x, plot.y0 + 4);
        ctx.stroke();
        ctx.fillStyle = "#6b7a86";
        ctx.fillText(formatTime(t), x, plot.y0 + 7);
      }
    }

    drawHover(ctx, plot, xOf, yOf, tMin, tMax) {
      // The nearest point in time to the mouse (times are sorted: binary search).
      const t = tMin + (this.hoverX - plot.x0) / (plot.x1 - plot.x0) * (tMax - tMin);
      let lo = 0, hi = this.times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.times[mid] < t) lo = mid + 1; else hi = mid;
      }
      if (lo > 0 && t - this.times[lo - 1] < this.times[lo] - t) lo -= 1;
      const x = Math.round(xOf(this.times[lo])) + 0.5;
      ctx.strokeStyle = "#8896a0";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, plot.y1);
      ctx.lineTo(x, plot.y0);
      ctx.stroke();
      ctx.setLineDash([]);
      const lines = [formatTime(this.times[lo])].concat(this.series.map((s, i) =>
        s.name + ": " + formatValue(this.values[i][lo]) + (this.unit ? " " + this.unit : "")));
      const boxW = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 16;
      const boxH = lines.length * 17 + 8;
      const bx = x + 10 + boxW > plot.x1 ? x - 10 - boxW : x + 10;
      ctx.fillStyle = "rgba(22, 34, 44, 0.88)";
      ctx.fillRect(bx, plot.y1, boxW, boxH);
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      lines.forEach((line, i) => {
        ctx.fillStyle = i === 0 ? "#e8eef2" : this.series[i - 1].color;
        ctx.fillText(line, bx + 8, plot.y1 + 6 + i * 17);
      });
      this.series.forEach((s, i) => {
        const v = this.values[i][lo];
        if (v === null || v === undefined) return;
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.arc(x, yOf(v), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
  }

  global.LineChart = LineChart;
  global.LineChart.formatValue = formatValue;
})(window);
