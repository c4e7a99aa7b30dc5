// Plotly pieces the lab's chart pages share (explorer, inspector, angle map, models, study): one config,
// one font, legend-carrying reference lines and the per-pair RoPE charts, so that the pages look alike.
"use strict";
const Plots = (() => {
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const FONT = { family: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif", size: 12 };
  const COLORS = { plain: "#7a8394", scaled: "#2f5fd0", train: "#444b57", target: "#c2410c", band: "#1f7a3a" };

  // a horizontal line from x0 to x1 at y, drawn as a trace so that it has a legend entry
  function hline(x0, x1, y, name, color, dash) {
    return { x: [x0, x1], y: [y, y], mode: "lines", name, line: { color, dash, width: 1.6 }, hovertemplate: `${name}<extra></extra>` };
  }

  // a chart with RoPE's pair index on x
  function pairLayout(title, ytitle, log) {
    const narrow = window.matchMedia("(max-width: 44rem)").matches;
    return {
      title: { text: title, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 40, b: 50 },
      xaxis: { title: { text: "pair index i (features i and i + d/2)" }, zeroline: false },
      // on a phone the axis is about 250 px tall: the log scale shows in its ticks (10^n), so the title
      // keeps only the quantity and its unit, which fits
      yaxis: { title: { text: narrow ? ytitle.replace(", log scale", "") : ytitle }, type: log ? "log" : "linear", exponentformat: "power" },
      legend: { orientation: "h", x: 0, y: narrow ? -0.4 : -0.2, xanchor: "left", yanchor: "top" },
      // on a phone the chart sits in the sticky result box (lab.css: 38vh), so its legend is not cut off
      height: narrow ? Math.max(260, Math.round(window.innerHeight * 0.38)) : 430,
      hovermode: "closest", font: FONT,
    };
  }

  // wavelength 2π/θ per pair, plain RoPE (dashed) against the scaled one, with the given reference lines
  function wavelengths(el, { title, pairs, base, plain, scaled, scaledName, marks }) {
    const traces = [
      { x: pairs, y: plain, mode: "lines", name: `plain RoPE (base ${Lab.fmt(base)})`,
        line: { color: COLORS.plain, dash: "dash", width: 2 }, hovertemplate: "pair %{x}: %{y:.4g} tokens (plain)<extra></extra>" },
      { x: pairs, y: scaled, mode: "lines+markers", name: scaledName, line: { color: COLORS.scaled, width: 2 },
        marker: { size: 4 }, hovertemplate: "pair %{x}: %{y:.4g} tokens (scaled)<extra></extra>" },
      ...marks,
    ];
    Plotly.react(el, traces, pairLayout(title, "wavelength 2π/θ (tokens, log scale)", true), CONFIG);
  }

  // the factor θ_plain / θ_scaled per pair, against 1 (untouched) and, when given, the factor s itself
  function scales(el, pairs, scale, factor) {
    const first = pairs[0], last = pairs[pairs.length - 1];
    const traces = [
      { x: pairs, y: scale, mode: "lines+markers", name: "θ_plain / θ_scaled", line: { color: COLORS.scaled, width: 2 },
        marker: { size: 4 }, hovertemplate: "pair %{x}: θ divided by %{y:.4g}<extra></extra>" },
      hline(first, last, 1, "1: pair untouched", COLORS.plain, "dot"),
    ];
    if (factor !== undefined) traces.push(hline(first, last, factor, `s = ${Lab.fmt(factor)}: divided by the factor`, COLORS.target, "dash"));
    Plotly.react(el, traces, pairLayout("What the scaling does to each pair", "scale factor θ_plain / θ_scaled (×)", false), CONFIG);
  }

  return { CONFIG, FONT, COLORS, hline, wavelengths, scales };
})();
