// The wavelength ladder (templates/widgets/ladder.html): wavelengths from /api/frequencies
// (posenc.encodings.rope.frequencies, rope_type default); this script only draws them.
"use strict";
Widgets.register("ladder", (root, w) => {
  async function refresh() {
    const s = w.state();
    const q = new URLSearchParams({ rope_type: "default", head_dim: s.head_dim, base: s.base, original: s.original });
    const d = await w.fetch(`/api/frequencies?${q}`);
    if (!d) return;
    const el = w.part("chart"), lam = d.wavelength_plain, n = lam.length;
    Widgets.clear(el);
    const top = Math.max(lam[n - 1], d.original) * 2;
    const fr = Widgets.frame(el, { x0: -0.5, x1: n - 0.5, y0: 1, y1: top, log: true });
    Widgets.axes(el, fr, { xticks: Widgets.pairTicks(n), xtitle: "pair index i", ytitle: "wavelength 2π/θᵢ (tokens)" });
    const g = Widgets.svg(el, "g", { class: "bars" });
    d.pairs.forEach((i) => {
      const y = fr.y(lam[i]);
      const cls = lam[i] > d.original ? "bar beyond" : "bar";
      const bar = Widgets.svg(g, "rect", { x: fr.x(i - 0.4), width: Math.max(fr.x(0.4) - fr.x(-0.4), 1), y, height: fr.y(1) - y, class: cls });
      Widgets.svg(bar, "title", {}, `pair ${i}: ${Lab.fmt(lam[i])} tokens per turn`);
    });
    Widgets.hline(el, fr, d.original, `training length L = ${Lab.fmt(d.original)}`, "ref train", true); // over the bars
    w.part("shortest").textContent = `${Lab.fmt(lam[0])} tokens`;
    w.part("longest").textContent = `${Lab.fmt(d.longest_wavelength_plain)} tokens`;
    w.part("beyond").textContent = `${lam.filter((x) => x > d.original).length} of ${n}`;
  }
  return refresh;
});
