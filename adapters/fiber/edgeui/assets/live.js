// Live view: draws the motion overlay over the MJPEG stream and the score
// chart, from /api/v1/live twice a second.
"use strict";
(function () {
  const img = document.getElementById("stream");
  const overlay = document.getElementById("overlay");
  const chart = document.getElementById("chart");
  const toggle = document.getElementById("show-overlay");
  const scoreEl = document.getElementById("score");
  const thrEl = document.getElementById("threshold");
  const verdictEl = document.getElementById("verdict");
  toggle.checked = localStorage.getItem("vigil.overlay") !== "off";
  toggle.addEventListener("change", function () {
    localStorage.setItem("vigil.overlay", toggle.checked ? "on" : "off");
    if (!toggle.checked) clear(overlay);
  });

  function clear(c) { c.getContext("2d").clearRect(0, 0, c.width, c.height); }

  function fit(c) {
    const r = c.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  }

  function drawOverlay(d) {
    fit(overlay);
    const g = overlay.getContext("2d");
    const W = overlay.width, H = overlay.height;
    g.clearRect(0, 0, W, H);
    if (!toggle.checked) return;
    const o = d.overlay;
    if (o.cols > 0 && o.rows > 0) {
      const cw = W / o.cols, ch = H / o.rows;
      for (let i = 0; i < o.cells.length; i++) {
        const v = o.cells[i];
        const x = (i % o.cols) * cw, y = Math.floor(i / o.cols) * ch;
        if (v < 0) { g.fillStyle = "rgba(0,0,0,0.35)"; g.fillRect(x, y, cw, ch); continue; }
        if (v <= 0) continue;
        g.fillStyle = "rgba(255,60,40," + Math.min(0.6, 0.1 + v * 3).toFixed(2) + ")";
        g.fillRect(x, y, cw, ch);
      }
    }
    const b = o.bbox;
    if (b[2] > b[0] && b[3] > b[1]) {
      g.strokeStyle = "#30e060"; g.lineWidth = 2;
      g.strokeRect(b[0] * W, b[1] * H, (b[2] - b[0]) * W, (b[3] - b[1]) * H);
    }
    for (const r of d.regions) {
      if (r.points.length < 3) continue;
      g.beginPath();
      r.points.forEach(function (p, i) { if (i === 0) g.moveTo(p[0] * W, p[1] * H); else g.lineTo(p[0] * W, p[1] * H); });
      g.closePath();
      g.strokeStyle = r.exclude ? "#ff5050" : "#40a0ff"; g.lineWidth = 2; g.setLineDash([6, 4]); g.stroke(); g.setLineDash([]);
    }
  }

  function drawChart(d) {
    const g = chart.getContext("2d");
    const W = chart.width, H = chart.height;
    g.clearRect(0, 0, W, H);
    const pts = d.points;
    if (!pts.length) return;
    let top = 1;
    for (const p of pts) top = Math.max(top, p.score * 1.2, p.threshold * 2);
    top = Math.min(100, top);
    const n = 150, step = W / n;
    const y = function (v) { return H - 2 - (H - 4) * Math.min(v, top) / top; };
    for (let i = 0; i < pts.length; i++) {
      if (pts[i].verdict === "light") { g.fillStyle = "#d0d4d8"; g.fillRect((n - pts.length + i) * step, 0, step, H); }
    }
    g.strokeStyle = "#0b63c5"; g.lineWidth = 1.5; g.beginPath();
    pts.forEach(function (p, i) { const x = (n - pts.length + i) * step; if (i === 0) g.moveTo(x, y(p.score)); else g.lineTo(x, y(p.score)); });
    g.stroke();
    g.strokeStyle = "#d03030"; g.setLineDash([4, 3]); g.beginPath();
    pts.forEach(function (p, i) { const x = (n - pts.length + i) * step; if (i === 0) g.moveTo(x, y(p.threshold)); else g.lineTo(x, y(p.threshold)); });
    g.stroke(); g.setLineDash([]);
    g.fillStyle = "#5b6670"; g.font = "11px sans-serif"; g.fillText(top.toFixed(0) + " %", 4, 12);
    const last = pts[pts.length - 1];
    scoreEl.textContent = last.score.toFixed(1) + " %";
    thrEl.textContent = last.threshold.toFixed(1) + " %";
    verdictEl.textContent = last.verdict;
    verdictEl.className = "verdict-" + last.verdict;
  }

  let busy = false;
  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch("/api/v1/live", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); } return r.json(); })
      .then(function (d) { chart.dataset.seq = d.seq; drawOverlay(d); drawChart(d); })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  img.addEventListener("error", function () { setTimeout(function () { img.src = "/live.mjpeg?" + Date.now(); }, 2000); });
  setInterval(tick, 500);
  tick();
})();
