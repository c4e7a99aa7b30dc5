// The rotation component (templates/widgets/rotation.html): the playground's tool and the notes' figure.
// Numbers from /api/rotation (posenc.encodings.rope: frequencies, cos_sin, apply); this script only draws.
"use strict";
Widgets.register("rotation", (root, w) => {
  const R = 130; // pixels per unit length
  const svgEl = w.part("svg");
  let record = true; // the next answer adds a row to the history (a settled change, a shift)
  let lastShown = null;
  const text = (name, value) => { const el = w.part(name); if (el) el.textContent = value; };
  const input = (name) => root.querySelector(`[name="${name}"]`);

  function query() {
    const s = w.state();
    const p = new URLSearchParams({ m: s.m, n: s.n, q_angle: s.q_angle, k_angle: s.k_angle });
    if (s.mode === "theta") p.set("theta", s.theta);
    else { p.set("base", s.base); p.set("head_dim", s.head_dim); p.set("pair", s.pair); }
    return p;
  }

  const el = (name, attrs, label) => Widgets.svg(svgEl, name, attrs, label);
  // a vector from the origin; y is flipped (SVG's y axis points down). Its label is placed by placeLabels.
  function arrow(v, cls) {
    el("line", { x1: 0, y1: 0, x2: v[0] * R, y2: -v[1] * R, class: `vec ${cls}`, "marker-end": `url(#${root.dataset.p || ""}head-${cls.split(" ")[0]})` });
  }

  // The labels of the arrows and of the angle between them, drawn after every other text: each goes to the
  // first spot round its anchor (out along its direction, then turning to either side, then farther out) where
  // it overlaps no text already there and stays inside the figure. Two arrows pointing close together (m = 0,
  // or q = k) would otherwise stack their labels. A label: { at: [x, y], angle, radii, cls, text }.
  const HALF = 170; // the viewBox: -170 … 170 both ways
  const TURNS = [0, 0.6, -0.6, 1.2, -1.2, 1.9, -1.9];
  const apart = (a, b) => a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
  const inside = (b) => b.x >= -HALF && b.y >= -HALF && b.x + b.width <= HALF && b.y + b.height <= HALF;
  const pad = (b) => ({ x: b.x - 1, y: b.y - 1, width: b.width + 2, height: b.height + 2 });
  function placeLabels(labels) {
    const taken = [...svgEl.querySelectorAll("text")].map((t) => pad(t.getBBox()));
    for (const { at: [x, y], angle, radii, cls, text: label, turns = TURNS } of labels) {
      const node = el("text", { class: cls, "text-anchor": "middle" }, label);
      let first = null, box = null;
      search: for (const r of radii) {
        for (const turn of turns) {
          node.setAttribute("x", (x + r * Math.cos(angle + turn)).toFixed(1));
          node.setAttribute("y", (y + r * Math.sin(angle + turn) + 4).toFixed(1)); // + 4: centred on the spot
          const b = pad(node.getBBox());
          if (!first) first = [node.getAttribute("x"), node.getAttribute("y"), b];
          if (inside(b) && taken.every((t) => apart(b, t))) { box = b; break search; }
        }
      }
      if (!box) { node.setAttribute("x", first[0]); node.setAttribute("y", first[1]); box = first[2]; } // no free spot
      taken.push(box);
    }
  }
  // an arrow's label: round the tip of v
  const tip = (v, cls, text) => ({ at: [v[0] * R, -v[1] * R], angle: Math.atan2(-v[1], v[0]), radii: [16, 28, 40, 54], cls: `vec-label ${cls}`, text });

  function draw(d) {
    Widgets.clear(svgEl);
    const defs = el("defs", {});
    for (const name of ["q", "k"]) {
      const marker = Widgets.svg(defs, "marker", { id: `${root.dataset.p || ""}head-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      Widgets.svg(marker, "path", { d: "M 0 0 L 10 5 L 0 10 z", class: `head ${name}` });
    }
    el("line", { x1: -R - 25, y1: 0, x2: R + 25, y2: 0, class: "axis" });
    el("line", { x1: 0, y1: R + 25, x2: 0, y2: -R - 25, class: "axis" });
    el("text", { x: R + 27, y: 14, class: "axis-label", "text-anchor": "end" }, "feature 1 of the pair");
    el("text", { x: -6, y: -R - 14, class: "axis-label", "text-anchor": "end" }, "feature 2");  // left of the axis: clear of a label at an arrow's tip more often
    el("circle", { cx: 0, cy: 0, r: R, class: "unit" });
    el("text", { x: R * 0.72, y: R * 0.72 + 14, class: "axis-label" }, "unit circle");
    arrow(d.q, "q faint");
    arrow(d.k, "k faint");
    const arc = d.arc.map(([x, y]) => `${(x * R).toFixed(2)},${(-y * R).toFixed(2)}`).join(" ");
    el("polyline", { points: arc, class: "arc" });
    const mid = d.arc[Math.floor(d.arc.length / 2)];
    arrow(d.rq, "q");
    arrow(d.rk, "k");
    // the score in the figure too: on a phone the figure stays in view while the readout is scrolled away
    el("text", { x: -166, y: 164, class: "axis-label score-label" }, `score ${Lab.fmt(d.score)}`);
    // the rotated arrows' labels first (they keep the spot at their tips), the angle's last, out along its bisector
    const r0 = R * 0.32 + 22;
    placeLabels([tip(d.rq, "q", "Rₘq"), tip(d.rk, "k", "Rₙk"), tip(d.q, "q faint", "q"), tip(d.k, "k faint", "k"),
      { at: [0, 0], angle: Math.atan2(-mid[1], mid[0]), radii: [r0, r0 + 14, r0 - 12, r0 + 28, r0 + 42], turns: [0, 0.25, -0.25],
        cls: "arc-label", text: `${Lab.fmt(Math.abs(d.angle_between_degrees), 3)}°` }]);
  }

  // an angle "mod 360°" is shown in [0°, 360°) (the server's angles may be signed)
  const mod360 = (deg) => { const r = ((deg % 360) + 360) % 360; return r >= 359.99995 ? 0 : r; };

  function show(d) {
    draw(d);
    text("score", Lab.fmt(d.score));
    text("offset", d.offset);
    text("theta-value", Lab.fmt(d.theta));
    text("wavelength", d.wavelength === null ? "∞ (θ = 0: no rotation)" : Lab.fmt(d.wavelength));
    text("turn-q", `${Lab.fmt(mod360(d.turn_q_degrees))}°`);
    text("turn-k", `${Lab.fmt(mod360(d.turn_k_degrees))}°`);
    text("between", `${Lab.fmt(d.angle_between_degrees)}°`);
    text("score-plain", Lab.fmt(d.score_unrotated));
    text("reference-label", `same offset at m = ${d.reference.m}, n = ${d.reference.n}`);
    text("score-reference", Lab.fmt(d.reference.score));
    w.part("same").hidden = Lab.fmt(d.score) !== Lab.fmt(d.reference.score);
    lastShown = d;
  }

  function addHistory(d) {
    const body = w.part("history");
    if (!body) return;
    const row = document.createElement("tr");
    for (const v of [d.m, d.n, d.offset, Lab.fmt(d.theta), Lab.fmt(d.score)]) {
      const td = document.createElement("td"); td.className = "num"; td.textContent = v; row.appendChild(td);
    }
    body.insertBefore(row, body.firstChild);
    while (body.children.length > 8) body.removeChild(body.lastChild);
  }

  function syncControls() {
    const s = w.state();
    for (const [part, name] of [["m-out", "m"], ["n-out", "n"], ["theta-out", "theta"], ["pair-out", "pair"], ["q-out", "q_angle"], ["k-out", "k_angle"]]) {
      if (s[name] !== undefined) text(part, s[name]);
    }
    const thetaControls = w.part("theta-controls"), pairControls = w.part("pair-controls");
    if (thetaControls) { thetaControls.hidden = s.mode !== "theta"; pairControls.hidden = s.mode === "theta"; }
    const pair = input("pair"), headDim = input("head_dim");
    if (pair && headDim && pair.type === "range") {
      pair.max = Number(headDim.value) / 2 - 1;
      if (Number(pair.value) > Number(pair.max)) pair.value = pair.max;
    }
  }

  async function refresh() {
    syncControls();
    const keep = record;
    record = false;
    const d = await w.fetch(`/api/rotation?${query()}`);
    if (!d) return;
    show(d);
    if (keep) addHistory(d);
  }

  function shift(delta) {
    const m = Number(input("m").value), n = Number(input("n").value), max = Number(input("m").max);
    if (Math.min(m, n) + delta < 0 || Math.max(m, n) + delta > max) return;
    input("m").value = m + delta; input("n").value = n + delta;
    record = true;
    refresh();
  }

  root.addEventListener("change", (e) => { if (e.target.type === "range") record = true; });
  root.addEventListener("submit", (e) => e.preventDefault());
  w.part("shift-up").addEventListener("click", () => shift(1));
  w.part("shift-down").addEventListener("click", () => shift(-1));
  w.part("shift-zero").addEventListener("click", () => {
    if (!lastShown) return;
    shift(-Math.min(Number(input("m").value), Number(input("n").value)));
  });
  return refresh;
});
