// Per-pair scaling (templates/widgets/scaling.html): numbers from /api/frequencies
// (posenc.encodings.rope.frequencies for the chosen rope_type); this script only draws them.
"use strict";
Widgets.register("scaling", (root, w) => {
  async function refresh() {
    const s = w.state();
    // the target length is the factor times the training length (the method's own setting, not a result)
    const q = new URLSearchParams({ rope_type: s.rope_type, head_dim: s.head_dim, base: s.base, factor: s.factor,
      original: s.original, target: String(Number(s.factor) * Number(s.original)) });
    root.dataset.toolExtra = `scaling=1&target=${q.get("target")}`; // the explorer opens on this method
    const d = await w.fetch(`/api/frequencies?${q}`);
    if (!d) return;
    const n = d.pairs.length, plain = d.wavelength_plain, scaled = d.wavelength_scaled;
    // wavelengths
    let el = w.part("wavelengths");
    Widgets.clear(el);
    const top = Math.max(...scaled, d.target) * 2;
    let fr = Widgets.frame(el, { x0: 0, x1: n - 1, y0: 1, y1: top, log: true });
    Widgets.axes(el, fr, { xticks: Widgets.pairTicks(n), xtitle: "pair index i", ytitle: "wavelength (tokens)" });
    for (const band of d.bands) Widgets.hline(el, fr, band.tokens, band.label, "ref band", true);
    d.lines.forEach((line, k) => Widgets.hline(el, fr, line.tokens, line.label, k === 0 ? "ref train" : "ref target"));
    Widgets.polyline(el, fr, d.pairs, plain, "line plain");
    Widgets.polyline(el, fr, d.pairs, scaled, "line scaled");
    Widgets.svg(el, "text", { x: fr.left + 6, y: fr.top + 12, class: "legend-text scaled" }, `—— ${d.rope_type}, s = ${Lab.fmt(d.factor)}`);
    Widgets.svg(el, "text", { x: fr.left + 6, y: fr.top + 26, class: "legend-text plain" }, "- - - plain RoPE");
    // scale factors
    el = w.part("scales");
    Widgets.clear(el);
    fr = Widgets.frame(el, { h: 220, x0: 0, x1: n - 1, y0: 0, y1: Math.max(...d.scale, d.factor) * 1.18 });
    Widgets.axes(el, fr, { xticks: Widgets.pairTicks(n), xtitle: "pair index i", ytitle: "θ divided by" });
    Widgets.hline(el, fr, d.factor, `s = ${Lab.fmt(d.factor)}`, "ref target");
    Widgets.hline(el, fr, 1, "1: untouched", "ref train");
    Widgets.polyline(el, fr, d.pairs, d.scale, "line scaled");
    w.part("note").textContent = d.note;
    w.part("counts").textContent = `${d.counts.untouched} / ${d.counts.divided_by_factor} / ${d.counts.between}`;
    w.part("attention").textContent = Lab.fmt(d.attention_factor);
  }
  return refresh;
});
