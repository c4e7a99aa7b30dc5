// The bias explorer (templates/widgets/bias.html): numbers from /api/bias (posenc.encodings.alibi, t5,
// xpos); this script only draws them.
"use strict";
Widgets.register("bias", (root, w) => {
  const input = (name) => root.querySelector(`[name="${name}"]`);
  let last = null;
  const SUMMARY = {
    alibi: "ALiBi subtracts slope × distance from each head's scores: steep heads look near, flat heads far. Reach: the distance at which a head's bias has fallen by ln 100, so a key that far back keeps at most 1/100 of the weight of an equally matching key at distance 0.",
    t5: "T5 adds a learned scalar per bucket: one bucket per distance near the query, log-spaced buckets farther, and one shared bucket from max_distance on (the bias stops changing there).",
    xpos: "xPos multiplies pair i's part of the score by ζᵢ^((m − n)/γ): fast pairs (small i) decay quickly with distance, slow pairs barely.",
    nope: "NoPE adds nothing: every entry is 0. In a decoder the causal mask is the only source of order.",
  };

  function matrix(d) {
    const el = w.part("matrix");
    Widgets.clear(el);
    const n = d.length, cell = 300 / n, values = d.matrix.flat();
    const lo = Math.min(...values), hi = Math.max(...values);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const masked = d.causal && j > i, v = d.matrix[i][j];
        const t = hi === lo ? 0 : (v - lo) / (hi - lo);
        // lighter = a larger value (ALiBi: the smallest penalty; T5: a higher bucket; xPos: less decay)
        const fill = masked ? "#eef0f4" : `hsl(${d.family === "t5" ? 160 : 220}, 60%, ${30 + 62 * t}%)`;
        const rect = Widgets.svg(el, "rect", { x: j * cell, y: i * cell, width: cell + 0.2, height: cell + 0.2, fill });
        Widgets.svg(rect, "title", {}, masked ? `query ${i}, key ${j}: masked (a future key)` : `query ${i}, key ${j}: ${Lab.fmt(v, 4)}`);
      }
    }
    const titles = {
      alibi: `bias of head ${d.head} (slope ${Lab.fmt(d.slopes ? d.slopes[d.head] : 0, 4)}): query rows, key columns; darker is a larger penalty`,
      t5: "bucket of each query (row) and key (column); lighter is a higher bucket",
      xpos: "decay of pair 0 (the fastest) for each query and key",
      nope: "no bias: every entry 0 (masked keys grey)",
    };
    w.part("matrix-title").textContent = titles[d.family];
  }
  function reach(d) {
    const el = w.part("reach-chart");
    Widgets.clear(el);
    const heads = d.slopes.map((_, h) => h), top = Math.max(...d.reach) * 2;
    const fr = Widgets.frame(el, { h: 240, x0: -0.5, x1: d.heads - 0.5, y0: 1, y1: top, log: true });
    Widgets.axes(el, fr, { xticks: Widgets.pairTicks(d.heads), xtitle: "head h", ytitle: "reach (tokens)" });
    heads.forEach((h) => {
      const y = fr.y(d.reach[h]);
      const bar = Widgets.svg(el, "rect", { x: fr.x(h - 0.4), width: Math.max(fr.x(0.4) - fr.x(-0.4), 1), y, height: fr.y(1) - y,
        class: h === d.head ? "bar followed" : "bar" });
      Widgets.svg(bar, "title", {}, `head ${h}: slope ${Lab.fmt(d.slopes[h], 4)}, reach ${Lab.fmt(d.reach[h], 4)} tokens`);
    });
    w.part("slopes").replaceChildren(...heads.map((h) => {
      const tr = document.createElement("tr");
      // the slope to 6 significant digits (Lab.fmt stops at 6 decimals: 1/256 would lose digits)
      for (const v of [h, String(Number(d.slopes[h].toPrecision(6))), Lab.fmt(d.reach[h], 4)]) {
        const td = document.createElement("td"); td.className = "num"; td.textContent = v; tr.appendChild(td);
      }
      return tr;
    }));
  }
  function buckets(d) {
    const el = w.part("bucket-chart");
    Widgets.clear(el);
    const x0 = d.relative[0], x1 = d.relative[d.relative.length - 1];
    const fr = Widgets.frame(el, { h: 240, x0, x1, y0: 0, y1: d.num_buckets });
    Widgets.axes(el, fr, { xticks: [x0, x0 / 2, 0, x1 / 2, x1], xtitle: "relative position (key − query)", ytitle: "bucket" });
    Widgets.polyline(el, fr, d.relative, d.buckets, "line steps");
    probe(d);
  }
  function probe(d) {
    const r = Math.round(Number(input("probe").value));
    const k = d.relative.indexOf(r);
    w.part("probe-label").textContent = String(r);
    w.part("probe").textContent = k < 0 ? "outside the drawn range" : String(d.buckets[k]);
  }
  function decay(d) {
    const el = w.part("decay-chart");
    Widgets.clear(el);
    const last = d.distances[d.distances.length - 1];
    const fr = Widgets.frame(el, { h: 240, x0: 0, x1: last, y0: 0, y1: 1 });
    Widgets.axes(el, fr, { xticks: [0, last / 4, last / 2, (3 * last) / 4, last].map(Math.round), xtitle: "distance m − n (query after key)", ytitle: "ζᵢ^((m−n)/γ)" });
    d.pairs.forEach((i, k) => {
      Widgets.polyline(el, fr, d.distances, d.decay[String(i)], `line series${k}`);
      const at = Math.floor(d.distances.length * (0.15 + 0.2 * k));
      Widgets.svg(el, "text", { x: fr.x(d.distances[at]) + 4, y: fr.y(d.decay[String(i)][at]) - 4, class: `legend-text series${k}` }, `pair ${i}`);
    });
  }

  async function refresh() {
    const s = w.state();
    const family = s.family;
    root.querySelectorAll("[data-family]").forEach((el) => { el.hidden = el.dataset.family !== family; });
    root.querySelectorAll("[data-view]").forEach((el) => { el.hidden = el.dataset.view !== family; });
    const head = input("head");
    head.max = Number(s.heads) - 1;
    if (Number(head.value) > Number(head.max)) head.value = head.max;
    w.part("heads-out").textContent = s.heads;
    w.part("head-out").textContent = head.value;
    w.part("length-out").textContent = s.length;
    const q = new URLSearchParams({ family, length: s.length });
    if (family === "alibi") { q.set("heads", s.heads); q.set("head", head.value); }
    if (family === "t5") { q.set("num_buckets", s.num_buckets); q.set("max_distance", s.max_distance); q.set("bidirectional", s.bidirectional); }
    if (family === "xpos") { q.set("head_dim", s.head_dim); q.set("scale_base", s.scale_base); }
    const d = await w.fetch(`/api/bias?${q}`);
    if (!d) return;
    last = d;
    w.part("summary").textContent = SUMMARY[family];
    if (family === "alibi") reach(d);
    if (family === "t5") buckets(d);
    if (family === "xpos") decay(d);
    matrix(d);
  }
  input("probe").addEventListener("input", (e) => { e.stopPropagation(); if (last && last.family === "t5") probe(last); });
  root.addEventListener("submit", (e) => e.preventDefault());
  return refresh;
});
