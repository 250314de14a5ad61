// Event page: the event's bounding box and faces over each snapshot, the
// peak score bar, and a confirmation before delete.
"use strict";
(function () {
  const ev = JSON.parse(document.getElementById("event-data").textContent);
  function draw(fig) {
    const img = fig.querySelector("img"), c = fig.querySelector("canvas");
    const r = img.getBoundingClientRect();
    c.width = Math.max(1, Math.round(r.width)); c.height = Math.max(1, Math.round(r.height));
    const g = c.getContext("2d"), W = c.width, H = c.height;
    const b = ev.bbox;
    if (b[2] > b[0] && b[3] > b[1]) { g.strokeStyle = "#30e060"; g.lineWidth = 2; g.strokeRect(b[0] * W, b[1] * H, (b[2] - b[0]) * W, (b[3] - b[1]) * H); }
    for (const f of ev.faces) { g.strokeStyle = "#ffd000"; g.lineWidth = 2; g.strokeRect(f.box[0] * W, f.box[1] * H, (f.box[2] - f.box[0]) * W, (f.box[3] - f.box[1]) * H); }
  }
  document.querySelectorAll(".snapshot").forEach(function (fig) {
    const img = fig.querySelector("img");
    if (img.complete) draw(fig); else img.addEventListener("load", function () { draw(fig); });
  });
  const peak = document.getElementById("peak");
  if (peak) {
    const g = peak.getContext("2d");
    g.fillStyle = "#e8ecef"; g.fillRect(0, 0, peak.width, peak.height);
    g.fillStyle = "#0b63c5"; g.fillRect(0, 8, peak.width * Math.min(1, ev.peak_score / 100), peak.height - 16);
    g.fillStyle = "#1d232a"; g.font = "13px sans-serif"; g.fillText("peak " + ev.peak_score.toFixed(1) + " %", 6, peak.height / 2 + 4);
  }
  const trace = document.getElementById("trace");
  if (trace && ev.trace) {
    const g = trace.getContext("2d"), W = trace.width, H = trace.height, t = ev.trace, n = t.scores.length;
    let top = 1;
    for (const v of t.scores) top = Math.max(top, v * 1.2);
    top = Math.min(100, Math.max(top, t.threshold * 2));
    const x = function (i) { return n > 1 ? i * (W - 4) / (n - 1) + 2 : W / 2; };
    const y = function (v) { return H - 2 - (H - 4) * Math.min(v, top) / top; };
    g.fillStyle = "#e8ecef"; g.fillRect(0, 0, x(t.pre_roll), H);
    g.strokeStyle = "#0b63c5"; g.lineWidth = 1.5; g.beginPath();
    t.scores.forEach(function (v, i) { if (i === 0) g.moveTo(x(i), y(v)); else g.lineTo(x(i), y(v)); });
    g.stroke();
    g.strokeStyle = "#d03030"; g.setLineDash([4, 3]); g.beginPath(); g.moveTo(0, y(t.threshold)); g.lineTo(W, y(t.threshold)); g.stroke(); g.setLineDash([]);
    g.fillStyle = "#5b6670"; g.font = "11px sans-serif"; g.fillText(top.toFixed(0) + " %", 4, 12);
  }
  const del = document.getElementById("delete-form");
  if (del) del.addEventListener("submit", function (e) { if (!confirm(del.dataset.confirm)) e.preventDefault(); });
})();
