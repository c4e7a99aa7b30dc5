// Per-pair scaling: the one renderer of RoPE's per-pair charts, used by the note's figure
// (templates/widgets/scaling.html), the frequency explorer and the inspector. The numbers come from the lab's
// JSON routes (/api/frequencies, /api/inspect: posenc.encodings.rope.frequencies); this script only draws them.
"use strict";

// Two charts: the wavelength 2π/θ of every pair before and after a scaling (log scale) against the training
// and target lengths and the bands where the method's treatment changes, and the factor θ_plain/θ_scaled.
// Each chart fills its box: its viewBox is its size in CSS pixels (redrawn when the box changes size), so a
// phone gets the whole width with text at its size. A chart is an <svg class="chart fit"> whose CSS height
// is reserved before the numbers arrive.
const ScalingCharts = (() => {
  const painters = new Map(); // svg -> its last drawing, run again at a new size
  const sizeOf = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const observer = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const [w, h] = sizeOf(target);
      if (`${w}x${h}` !== target.dataset.size) painters.get(target)();
    }
  });
  function fit(el, paint) {
    const run = () => {
      const [w, h] = sizeOf(el);
      if (!w || !h) return; // hidden: drawn when it shows (the observer sees its new size)
      el.setAttribute("viewBox", `0 0 ${w} ${h}`);
      el.dataset.size = `${w}x${h}`;
      Widgets.clear(el);
      paint(w, h);
    };
    if (!painters.has(el)) observer.observe(el);
    painters.set(el, run);
    run();
  }
  const finite = (xs) => xs.filter((v) => Number.isFinite(v));
  // one marker per pair with its number as a tooltip
  function dots(g, fr, pairs, ys, cls, text) {
    pairs.forEach((i, k) => {
      if (!Number.isFinite(ys[k])) return;
      const dot = Widgets.svg(g, "circle", { cx: fr.x(i).toFixed(1), cy: fr.y(ys[k]).toFixed(1), r: 2.6, class: `dot ${cls}` });
      Widgets.svg(dot, "title", {}, text(i, ys[k]));
    });
  }

  // s: { pairs, plain, scaled, scaledLabel (null: plain RoPE only), base, lines: [{label, tokens}] (the training
  // length first), bands: [{label, tokens}], critical (pair index, optional), scale, factor (null: none) }
  function wavelengths(el, s) {
    fit(el, (w, h) => {
      const n = s.pairs.length, last = s.pairs[n - 1];
      const top = Math.max(...finite(s.plain), ...finite(s.scaled), ...s.lines.map((l) => l.tokens)) * 2;
      const fr = Widgets.frame(el, { w, h, x0: s.pairs[0], x1: last, y0: 1, y1: top, log: true });
      Widgets.axes(el, fr, { xticks: Widgets.pairTicks(n), xtitle: "pair index i (features i and i + d/2)", ytitle: "wavelength 2π/θ (tokens)" });
      for (const band of s.bands) Widgets.hline(el, fr, band.tokens, band.label, "ref band", true);
      s.lines.forEach((line, k) => Widgets.hline(el, fr, line.tokens, line.label, k === 0 ? "ref train" : "ref target"));
      if (Number.isFinite(s.critical)) {
        const x = fr.x(s.critical - 0.5);
        Widgets.svg(el, "line", { x1: x, x2: x, y1: fr.top, y2: h - fr.bottom, class: "ref critical" });
        Widgets.svg(el, "text", { x: x - 4, y: fr.top + 40, "text-anchor": "end", class: "ref critical label" }, `critical dimension: pairs ≥ ${s.critical}`);
      }
      const g = Widgets.svg(el, "g", { class: "series" });
      const tip = (kind) => (i, v) => `pair ${i}: ${Lab.fmt(v)} tokens${kind}`;
      if (s.scaledLabel) Widgets.polyline(g, fr, s.pairs, s.plain, "line plain");
      Widgets.polyline(g, fr, s.pairs, s.scaled, "line scaled");
      dots(g, fr, s.pairs, s.scaled, "scaled", tip(s.scaledLabel ? " (scaled)" : ""));
      const plainLabel = `plain RoPE (base ${Lab.fmt(s.base)})`;
      Widgets.svg(el, "text", { x: fr.left + 6, y: fr.top + 12, class: "legend-text scaled" }, `—— ${s.scaledLabel || plainLabel}`);
      if (s.scaledLabel) Widgets.svg(el, "text", { x: fr.left + 6, y: fr.top + 26, class: "legend-text plain" }, `- - - ${plainLabel}`);
    });
  }

  function scales(el, s) {
    fit(el, (w, h) => {
      const n = s.pairs.length;
      const fr = Widgets.frame(el, { w, h, x0: s.pairs[0], x1: s.pairs[n - 1], y0: 0, y1: Math.max(...finite(s.scale), s.factor || 1) * 1.18 });
      Widgets.axes(el, fr, { xticks: Widgets.pairTicks(n), xtitle: "pair index i", ytitle: "θ divided by" });
      if (s.factor) Widgets.hline(el, fr, s.factor, `s = ${Lab.fmt(s.factor)}`, "ref target");
      Widgets.hline(el, fr, 1, "1: untouched", "ref train");
      const g = Widgets.svg(el, "g", { class: "series" });
      Widgets.polyline(g, fr, s.pairs, s.scale, "line scaled");
      dots(g, fr, s.pairs, s.scale, "scaled", (i, v) => `pair ${i}: θ divided by ${Lab.fmt(v)}`);
    });
  }

  // the charts' series from an /api/frequencies answer
  function fromFrequencies(d) {
    const scaled = d.rope_type !== "default";
    return {
      pairs: d.pairs, plain: d.wavelength_plain, scaled: d.wavelength_scaled, base: d.base,
      scaledLabel: scaled ? `${d.rope_type}, s = ${Lab.fmt(d.factor)}` : null,
      lines: d.lines, bands: d.bands, scale: d.scale, factor: scaled ? d.factor : null,
    };
  }

  function draw(wavelengthsEl, scalesEl, s) { wavelengths(wavelengthsEl, s); scales(scalesEl, s); }
  return { draw, fromFrequencies };
})();

Widgets.register("scaling", (root, w) => {
  async function refresh() {
    const s = w.state();
    // the target length is the factor times the training length (the method's own setting, not a result)
    const q = new URLSearchParams({ rope_type: s.rope_type, head_dim: s.head_dim, base: s.base, factor: s.factor,
      original: s.original, target: String(Number(s.factor) * Number(s.original)) });
    root.dataset.toolExtra = `scaling=1&target=${q.get("target")}`; // the explorer opens on this method
    const d = await w.fetch(`/api/frequencies?${q}`);
    if (!d) return;
    ScalingCharts.draw(w.part("wavelengths"), w.part("scales"), ScalingCharts.fromFrequencies(d));
    w.part("note").textContent = d.note;
    w.part("counts").textContent = `${d.counts.untouched} / ${d.counts.divided_by_factor} / ${d.counts.between}`;
    w.part("attention").textContent = Lab.fmt(d.attention_factor);
  }
  return refresh;
});
