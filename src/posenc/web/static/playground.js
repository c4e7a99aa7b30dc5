// Rotation playground: the numbers come from /api/rotation (posenc.encodings.rope); this script only draws.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("rotation-form");
  const svg = $("rotation-svg");
  const NS = "http://www.w3.org/2000/svg";
  const R = 130; // pixels per unit length
  let latest = 0;
  let lastShown = null;

  const mode = () => form.querySelector('input[name="mode"]:checked').value;

  function query() {
    const p = new URLSearchParams({
      m: $("m").value, n: $("n").value, q_angle: $("q_angle").value, k_angle: $("k_angle").value,
    });
    if (mode() === "theta") p.set("theta", $("theta").value);
    else { p.set("base", $("base").value); p.set("head_dim", $("head_dim").value); p.set("pair", $("pair").value); }
    return p;
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.appendChild(node);
    return node;
  }
  // a vector from the origin; y is flipped (SVG's y axis points down)
  function arrow(v, cls, label) {
    const x = v[0] * R, y = -v[1] * R;
    el("line", { x1: 0, y1: 0, x2: x, y2: y, class: `vec ${cls}`, "marker-end": `url(#head-${cls.split(" ")[0]})` });
    const len = Math.hypot(x, y) || 1;
    el("text", { x: x + (x / len) * 16, y: y + (y / len) * 16 + 4, class: `vec-label ${cls}`, "text-anchor": "middle" }, label);
  }

  function draw(d) {
    while (svg.lastChild && svg.lastChild.nodeName !== "title") svg.removeChild(svg.lastChild);
    const defs = el("defs", {});
    for (const name of ["q", "k"]) {
      const marker = document.createElementNS(NS, "marker");
      for (const [k, v] of Object.entries({ id: `head-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" })) marker.setAttribute(k, v);
      const path = document.createElementNS(NS, "path");
      path.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
      path.setAttribute("class", `head ${name}`);
      marker.appendChild(path);
      defs.appendChild(marker);
    }
    el("line", { x1: -R - 25, y1: 0, x2: R + 25, y2: 0, class: "axis" });
    el("line", { x1: 0, y1: R + 25, x2: 0, y2: -R - 25, class: "axis" });
    el("text", { x: R + 27, y: 14, class: "axis-label", "text-anchor": "end" }, "feature 1 of the pair");
    el("text", { x: 6, y: -R - 14, class: "axis-label" }, "feature 2");
    el("circle", { cx: 0, cy: 0, r: R, class: "unit" });
    el("text", { x: R * 0.72, y: R * 0.72 + 14, class: "axis-label" }, "unit circle");
    arrow(d.q, "q faint", "q");
    arrow(d.k, "k faint", "k");
    const arc = d.arc.map(([x, y]) => `${(x * R).toFixed(2)},${(-y * R).toFixed(2)}`).join(" ");
    el("polyline", { points: arc, class: "arc" });
    const mid = d.arc[Math.floor(d.arc.length / 2)];
    const ml = Math.hypot(mid[0], mid[1]) || 1;
    el("text", { x: (mid[0] / ml) * (R * 0.32 + 22), y: (-mid[1] / ml) * (R * 0.32 + 22) + 4, class: "arc-label",
      "text-anchor": "middle" }, `${Lab.fmt(Math.abs(d.angle_between_degrees), 3)}°`);
    arrow(d.rq, "q", "Rₘq");
    arrow(d.rk, "k", "Rₙk");
  }

  function show(d) {
    draw(d);
    $("score").textContent = Lab.fmt(d.score);
    $("offset").textContent = d.offset;
    $("theta-value").textContent = Lab.fmt(d.theta);
    $("wavelength").textContent = d.wavelength === null ? "∞ (θ = 0: no rotation)" : Lab.fmt(d.wavelength);
    $("turn-q").textContent = `${Lab.fmt(d.turn_q_degrees)}°`;
    $("turn-k").textContent = `${Lab.fmt(d.turn_k_degrees)}°`;
    $("between").textContent = `${Lab.fmt(d.angle_between_degrees)}°`;
    $("score-plain").textContent = Lab.fmt(d.score_unrotated);
    $("reference-label").textContent = `same offset at m = ${d.reference.m}, n = ${d.reference.n}`;
    $("score-reference").textContent = Lab.fmt(d.reference.score);
    $("same").hidden = Lab.fmt(d.score) !== Lab.fmt(d.reference.score);
    $("rotation-error").hidden = true;
    lastShown = d;
  }

  function addHistory(d) {
    const row = document.createElement("tr");
    for (const v of [d.m, d.n, d.offset, Lab.fmt(d.score)]) {
      const td = document.createElement("td"); td.className = "num"; td.textContent = v; row.appendChild(td);
    }
    const body = $("history");
    body.insertBefore(row, body.firstChild);
    while (body.children.length > 8) body.removeChild(body.lastChild);
  }

  async function update(record = false) {
    $("m-out").textContent = $("m").value;
    $("n-out").textContent = $("n").value;
    $("theta-out").textContent = $("theta").value;
    $("pair-out").textContent = $("pair").value;
    $("q-out").textContent = $("q_angle").value;
    $("k-out").textContent = $("k_angle").value;
    const mine = ++latest;
    try {
      const d = await Lab.api(`/api/rotation?${query()}`);
      if (mine !== latest) return; // a newer request is on its way
      show(d);
      if (record) addHistory(d);
      document.body.dataset.ready = String(mine);
    } catch (err) {
      if (mine !== latest) return;
      $("rotation-error").textContent = err.message;
      $("rotation-error").hidden = false;
    }
  }

  function shift(delta) {
    const m = Number($("m").value), n = Number($("n").value);
    const max = Number($("m").max);
    if (Math.min(m, n) + delta < 0 || Math.max(m, n) + delta > max) return;
    $("m").value = m + delta; $("n").value = n + delta;
    update(true);
  }

  form.addEventListener("input", () => update(false));
  form.addEventListener("change", (e) => {
    if (e.target.name === "mode") {
      $("theta-controls").hidden = mode() !== "theta";
      $("pair-controls").hidden = mode() === "theta";
    }
    if (e.target.id === "head_dim") {
      $("pair").max = Number($("head_dim").value) / 2 - 1;
      if (Number($("pair").value) > Number($("pair").max)) $("pair").value = $("pair").max;
    }
    update(e.target.type === "range");
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  $("shift-up").addEventListener("click", () => shift(1));
  $("shift-down").addEventListener("click", () => shift(-1));
  $("shift-zero").addEventListener("click", () => {
    if (!lastShown) return;
    shift(-Math.min(Number($("m").value), Number($("n").value)));
  });
  update(true);
})();
