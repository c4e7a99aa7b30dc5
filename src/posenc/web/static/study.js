// posenc lab, study page: the perplexity-vs-length chart, drawn with the bundled plotly from the
// numbers the lab reads out of the run's results.json (/api/study); nothing is computed here.
"use strict";
(() => {
  const COLORS = ["#2f5fd0", "#d0552f", "#1f7a3a", "#8a5a00", "#7b3fb8", "#0f8a8a", "#b3261e", "#5b6575"];

  // tick marks of a log axis at round values inside the data's range (plotly labels 20, 30 as "2", "3")
  const ROUND = [1, 1.5, 2, 3, 4, 5, 7];
  function ticks(values) {
    const lo = Math.min(...values), hi = Math.max(...values), out = [];
    for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
      ROUND.forEach((r) => { const v = r * 10 ** p; if (v >= lo * 0.9 && v <= hi * 1.1) out.push(v); });
    }
    return out;
  }

  function draw(box, data, key) {
    const L = data.train_length;
    const all = data.series[key].flatMap((s) => s.y.map((y, i) => [y - s.err[i], y + s.err[i]]).flat()).filter((v) => v > 0);
    const traces = data.series[key].filter((s) => s.x.length).map((s, i) => ({
      x: s.x, y: s.y, name: s.label, type: "scatter", mode: "lines+markers",
      line: { color: COLORS[i % COLORS.length], width: 2 }, marker: { size: 6 },
      error_y: s.err.some((e) => e > 0) ? { type: "data", array: s.err, visible: true, thickness: 1 } : undefined,
      customdata: s.length,
      hovertemplate: `${s.label}<br>%{x}× L = %{customdata} tokens<br>perplexity %{y:.2f}<extra></extra>`,
    }));
    const what = key === "ppl" ? "all positions" : "last L positions";
    const layout = {
      title: { text: `Perplexity vs length, ${what} (preset ${data.preset}, seeds ${data.seeds.join(", ")})`, font: { size: 15 } },
      xaxis: { type: "log", title: { text: `evaluation length (× L, trained at L = ${L} tokens)` },
        tickvals: data.multiples, ticktext: data.multiples.map((m) => `${m}× (${m * L})`) },
      yaxis: { type: "log", title: { text: "perplexity (bytes, log scale)" }, tickvals: ticks(all), ticktext: ticks(all).map(String) },
      shapes: [{ type: "line", x0: 1, x1: 1, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", color: "#888", width: 1 } }],
      margin: { l: 70, r: 20, t: 50, b: 60 }, height: 440, legend: { orientation: "v" }, hovermode: "closest",
      font: Plots.FONT,
    };
    Plots.draw(box, traces, layout);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const box = document.getElementById("ppl-chart");
    if (!box || typeof Plotly === "undefined") return;
    let data;
    try { data = await Lab.api(`/api/study?run=${encodeURIComponent(box.dataset.run)}`); }
    catch (err) { box.textContent = `The chart could not load its numbers: ${err.message}`; return; }
    const buttons = document.querySelectorAll(".chart-controls [data-series]");
    const choose = (key) => {
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.series === key)));
      draw(box, data, key);
    };
    buttons.forEach((b) => b.addEventListener("click", () => choose(b.dataset.series)));
    choose("last_ppl");
  });
})();
