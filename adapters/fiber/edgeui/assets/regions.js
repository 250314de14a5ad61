// Region editor: include/exclude polygons in normalised coordinates drawn
// over the camera's current picture; saved with PUT /api/v1/regions.
"use strict";
(function () {
  const img = document.getElementById("still");
  const c = document.getElementById("editor");
  const list = document.getElementById("region-list");
  const statusEl = document.getElementById("save-status");
  const csrf = document.querySelector('meta[name="csrf"]').content;
  let regions = JSON.parse(document.getElementById("regions-data").textContent) || [];
  let selected = regions.length ? 0 : -1;
  let drag = null; // {r, i}
  const R = 9; // px: how near a point counts as on it

  function fit() {
    const r = img.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  }

  function draw() {
    fit();
    const g = c.getContext("2d"), W = c.width, H = c.height;
    g.clearRect(0, 0, W, H);
    regions.forEach(function (reg, ri) {
      const col = reg.exclude ? "255,80,80" : "64,160,255";
      if (reg.points.length) {
        g.beginPath();
        reg.points.forEach(function (p, i) { if (i === 0) g.moveTo(p[0] * W, p[1] * H); else g.lineTo(p[0] * W, p[1] * H); });
        g.closePath();
        g.fillStyle = "rgba(" + col + ",0.25)"; g.fill();
        g.strokeStyle = "rgb(" + col + ")"; g.lineWidth = ri === selected ? 3 : 1.5; g.stroke();
      }
      if (ri === selected) {
        reg.points.forEach(function (p) { g.fillStyle = "#fff"; g.beginPath(); g.arc(p[0] * W, p[1] * H, 5, 0, 7); g.fill(); g.strokeStyle = "rgb(" + col + ")"; g.stroke(); });
      }
    });
    list.textContent = "";
    regions.forEach(function (reg, ri) {
      const li = document.createElement("li");
      li.textContent = (reg.exclude ? "Exclude" : "Include") + " · " + reg.points.length + " points";
      if (ri === selected) li.className = "selected";
      li.addEventListener("click", function () { selected = ri; draw(); });
      list.appendChild(li);
    });
    c.dataset.regions = JSON.stringify(regions);
  }

  function pos(e) {
    const r = c.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    return [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000];
  }

  function near(e) {
    const r = c.getBoundingClientRect();
    for (let ri = regions.length - 1; ri >= 0; ri--) {
      const pts = regions[ri].points;
      for (let i = 0; i < pts.length; i++) {
        const dx = pts[i][0] * r.width - (e.clientX - r.left), dy = pts[i][1] * r.height - (e.clientY - r.top);
        if (dx * dx + dy * dy <= R * R) return { r: ri, i: i };
      }
    }
    return null;
  }

  c.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    const hit = near(e);
    if (hit) { drag = hit; selected = hit.r; c.setPointerCapture(e.pointerId); draw(); return; }
    if (selected < 0) { regions.push({ points: [], exclude: false }); selected = regions.length - 1; }
    regions[selected].points.push(pos(e));
    statusEl.textContent = "Not saved yet.";
    draw();
  });
  c.addEventListener("pointermove", function (e) {
    if (!drag) return;
    regions[drag.r].points[drag.i] = pos(e);
    statusEl.textContent = "Not saved yet.";
    draw();
  });
  c.addEventListener("pointerup", function () { drag = null; });
  c.addEventListener("dblclick", function (e) {
    const hit = near(e);
    if (hit) { regions[hit.r].points.splice(hit.i, 1); draw(); }
  });

  function add(exclude) { regions.push({ points: [], exclude: exclude }); selected = regions.length - 1; draw(); }
  document.getElementById("add-include").addEventListener("click", function () { add(false); });
  document.getElementById("add-exclude").addEventListener("click", function () { add(true); });
  document.getElementById("delete-region").addEventListener("click", function () {
    if (selected >= 0) { regions.splice(selected, 1); selected = regions.length - 1; statusEl.textContent = "Not saved yet."; draw(); }
  });
  document.getElementById("refresh").addEventListener("click", function () { img.src = "/live.jpg?" + Date.now(); });
  document.getElementById("save").addEventListener("click", function () {
    statusEl.textContent = "Saving…";
    fetch("/api/v1/regions", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ regions: regions })
    }).then(function (r) {
      return r.json().then(function (d) {
        if (!r.ok) { statusEl.textContent = "Not saved: " + d.error; statusEl.className = "error"; return; }
        regions = d.regions; statusEl.textContent = "Saved: the camera watches these regions now."; statusEl.className = "notice"; draw();
      });
    }).catch(function (err) { statusEl.textContent = "Not saved: " + err; statusEl.className = "error"; });
  });
  img.addEventListener("load", draw);
  window.addEventListener("resize", draw);
  draw();
})();
