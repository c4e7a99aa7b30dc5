// Frequency explorer: numbers from /api/frequencies (posenc.encodings.rope.frequencies); this script only draws.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("explorer-form");
  const types = JSON.parse($("explorer-types").textContent); // rope_type -> the parameters it reads
  const COLORS = { plain: "#7a8394", scaled: "#2f5fd0", train: "#444b57", target: "#c2410c", band: "#1f7a3a" };
  const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  let latest = 0;

  function showControls() {
    const reads = types[$("rope_type").value];
    form.querySelectorAll("[data-param]").forEach((div) => { div.hidden = !reads.includes(div.dataset.param); });
  }

  function query() {
    const reads = types[$("rope_type").value];
    const p = new URLSearchParams({ head_dim: $("head_dim").value, base: $("base").value, rope_type: $("rope_type").value });
    for (const name of reads) p.set(name, $(name).value);
    return p;
  }

  // a horizontal line across all pairs, as a trace so that it has a legend entry
  function hline(pairs, tokens, name, color, dash) {
    return { x: [pairs[0], pairs[pairs.length - 1]], y: [tokens, tokens], mode: "lines", name,
      line: { color, dash, width: 1.6 }, hovertemplate: `${name}<extra></extra>` };
  }

  function layout(title, ytitle, ylog) {
    return {
      title: { text: title, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 40, b: 50 },
      xaxis: { title: { text: "pair index i (features i and i + d/2)" }, zeroline: false },
      yaxis: { title: { text: ytitle }, type: ylog ? "log" : "linear", exponentformat: "power" },
      legend: { orientation: "h", x: 0, y: -0.2, xanchor: "left", yanchor: "top" },
      height: 430, hovermode: "closest",
      font: { family: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif", size: 12 },
    };
  }

  function draw(d) {
    const pairs = d.pairs;
    const waves = [
      { x: pairs, y: d.wavelength_plain, mode: "lines", name: `plain RoPE (base ${Lab.fmt(d.base)})`,
        line: { color: COLORS.plain, dash: "dash", width: 2 },
        hovertemplate: "pair %{x}: %{y:.4g} tokens (plain)<extra></extra>" },
      { x: pairs, y: d.wavelength_scaled, mode: "lines+markers", name: `${d.rope_type}${d.rope_type === "default" ? "" : ` (s = ${Lab.fmt(d.factor)})`}`,
        line: { color: COLORS.scaled, width: 2 }, marker: { size: 4 },
        hovertemplate: "pair %{x}: %{y:.4g} tokens (scaled)<extra></extra>" },
    ];
    d.lines.forEach((line, k) => waves.push(hline(pairs, line.tokens, line.label, k === 0 ? COLORS.train : COLORS.target, k === 0 ? "dot" : "dashdot")));
    d.bands.forEach((band) => waves.push(hline(pairs, band.tokens, band.label, COLORS.band, "longdash")));
    Plotly.react("wavelength-plot", waves,
      layout(`Wavelength per pair, head_dim ${d.head_dim}`, "wavelength 2π/θ (tokens, log scale)", true), PLOT_CONFIG);

    const scale = [
      { x: pairs, y: d.scale, mode: "lines+markers", name: "θ_plain / θ_scaled",
        line: { color: COLORS.scaled, width: 2 }, marker: { size: 4 },
        hovertemplate: "pair %{x}: θ divided by %{y:.4g}<extra></extra>" },
      hline(pairs, 1, "1: pair untouched", COLORS.plain, "dot"),
    ];
    if (d.rope_type !== "default") scale.push(hline(pairs, d.factor, `s = ${Lab.fmt(d.factor)}: divided by the factor`, COLORS.target, "dash"));
    Plotly.react("scale-plot", scale,
      layout("What the scaling does to each pair", "scale factor θ_plain / θ_scaled (×)", false), PLOT_CONFIG);
  }

  function show(d) {
    $("explorer-error").hidden = true;
    $("method-note").textContent = d.note;
    $("attention-factor").textContent = Lab.fmt(d.attention_factor);
    $("longest").textContent = `${Lab.fmt(d.longest_wavelength_plain)} → ${Lab.fmt(d.longest_wavelength_scaled)}`;
    $("counts").textContent = `${d.counts.untouched} / ${d.counts.divided_by_factor} / ${d.counts.between}`;
    $("config-json").textContent = JSON.stringify(d.config, null, 2);
    const rows = $("pair-rows");
    rows.replaceChildren(...d.pairs.map((i) => {
      const tr = document.createElement("tr");
      for (const v of [i, Lab.fmt(d.inv_freq_plain[i]), Lab.fmt(d.inv_freq_scaled[i]), Lab.fmt(d.wavelength_plain[i]),
        Lab.fmt(d.wavelength_scaled[i]), Lab.fmt(d.scale[i])]) {
        const td = document.createElement("td"); td.className = "num"; td.textContent = v; tr.appendChild(td);
      }
      return tr;
    }));
    draw(d);
  }

  async function update() {
    $("factor-out").textContent = $("factor").value;
    $("target-note").textContent = $("rope_type").value === "dynamic"
      ? "dynamic NTK is computed at this length" : "";
    const mine = ++latest;
    try {
      const d = await Lab.api(`/api/frequencies?${query()}`);
      if (mine !== latest) return; // a newer request is on its way
      show(d);
      document.body.dataset.ready = String(mine);
    } catch (err) {
      if (mine !== latest) return;
      $("explorer-error").textContent = err.message;
      $("explorer-error").hidden = false;
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", () => { showControls(); update(); });
  form.addEventListener("submit", (e) => e.preventDefault());
  showControls();
  update();
})();
