// Angle map and long-term decay: numbers from /api/angles and /api/decay (posenc.encodings.rope and
// posenc.encodings.rope_decay); this script only draws them.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("angles-form");
  const types = JSON.parse($("angles-types").textContent); // rope_type -> the parameters it reads
  const COLORS = { scaled: "#2f5fd0", plain: "#7a8394", train: "#111827", target: "#c2410c",
    beyond: "#111827", fast: "#1f7a3a", slow: "#7c3aed", alias: "#6b7280" };
  // a cyclic scale for angles in [0, 2π): 0 and 2π get the same colour
  const CYCLIC = [[0, "#e8e2d6"], [0.25, "#6a51a3"], [0.5, "#1b1b3a"], [0.75, "#b3541e"], [1, "#e8e2d6"]];
  const PI_TICKS = { tickvals: [0, Math.PI / 2, Math.PI, 1.5 * Math.PI, 2 * Math.PI], ticktext: ["0", "π/2", "π", "3π/2", "2π"] };
  let latest = 0;

  // the map's and the decay's queries: the shared RoPE settings, each with its own controls
  function queries(settings) {
    const map = new URLSearchParams(settings);
    map.set("length", $("length").value);
    map.set("show", form.querySelector("input[name=show]:checked").value);
    map.set("spacing", $("map_log").checked ? "log" : "linear");
    const decay = new URLSearchParams(settings);
    decay.set("distance", $("distance").value);
    decay.set("spacing", $("decay_log").checked ? "log" : "linear");
    return [map, decay];
  }

  // a line drawn as a trace so that it has a legend entry
  const line = (x, y, name, color, dash, yaxis = "y") => ({ x, y, mode: "lines", name, yaxis,
    line: { color, dash, width: 2 }, hovertemplate: `${name}<extra></extra>` });
  // on the heatmap: the same line over a wider white one, so that it shows on red and on blue
  const mark = (traces, x, y, name, color, dash) => {
    traces.push({ x, y, mode: "lines", showlegend: false, hoverinfo: "skip", line: { color: "white", width: 5 } });
    traces.push({ ...line(x, y, name, color, dash), line: { color, dash, width: 2.5 } });
  };

  function drawMap(d) {
    const xs = d.positions, first = xs[0], last = xs[xs.length - 1], top = d.pairs.length - 0.5;
    const perPair = d.pairs.map((i) => [d.theta[i], d.wavelength[i]]);
    const isCos = d.show === "cos";
    const traces = [{
      type: "heatmap", x: xs, y: d.pairs, z: d.values, showlegend: false,
      customdata: d.values.map((row, i) => row.map(() => perPair[i])),
      colorscale: isCos ? "RdBu" : CYCLIC, zmin: isCos ? -1 : 0, zmax: isCos ? 1 : 2 * Math.PI,
      colorbar: { title: { text: isCos ? "cos(m·θᵢ)" : "m·θᵢ mod 2π (rad)", side: "right" }, thickness: 14,
        ...(isCos ? {} : PI_TICKS) },
      hovertemplate: "position m = %{x:,}<br>pair i = %{y}<br>θᵢ = %{customdata[0]:.4g} rad/token"
        + "<br>wavelength 2π/θᵢ = %{customdata[1]:,.4g} tokens<br>"
        + (isCos ? "cos(m·θᵢ) = %{z:.4f}" : "m·θᵢ mod 2π = %{z:.4f} rad") + "<extra></extra>",
    }];
    const L = d.training_length;
    if (L >= first && L <= last) mark(traces, [L, L], [-0.5, top], `training length L = ${Lab.fmt(L)}`, COLORS.train, "solid");
    if (d.rope_type !== "default" && d.target >= first && d.target <= last && d.target !== L) {
      mark(traces, [d.target, d.target], [-0.5, top], `target length N = ${Lab.fmt(d.target)}`, COLORS.target, "dash");
    }
    if (d.beyond_training.length) {
      const y = Math.min(...d.beyond_training) - 0.5;
      mark(traces, [first, last], [y, y], `above: wavelength > L (${d.beyond_training.length} pairs)`, COLORS.beyond, "dot");
    }
    if (d.ramp) {
      const { fast, slow } = d.ramp;
      const name = (b) => (b.key.startsWith("beta") ? `β_${b.key.slice(5)}` : b.key);
      mark(traces, [first, last], [fast.pair, fast.pair], `L/λ = ${name(fast)} = ${Lab.fmt(fast.turns)} (pair ${fast.pair.toFixed(2)})`, COLORS.fast, "dash");
      mark(traces, [first, last], [slow.pair, slow.pair], `L/λ = ${name(slow)} = ${Lab.fmt(slow.turns)} (pair ${slow.pair.toFixed(2)})`, COLORS.slow, "dash");
    }
    const aliased = d.pairs.filter((i) => d.aliased_from[i] !== null);
    if (aliased.length) { // the edge of the region where columns lie more than half a wavelength apart
      const x = [], y = [];
      for (const i of aliased) { x.push(d.aliased_from[i], d.aliased_from[i]); y.push(i - 0.5, i + 0.5); }
      x.push(last); y.push(aliased[aliased.length - 1] + 0.5);
      mark(traces, x, y, `right of the steps: columns > λ/2 apart, aliased (${aliased.length} pairs)`, COLORS.alias, "dashdot");
    }
    const scaling = d.rope_type === "default" ? "plain RoPE" : `${d.rope_type}, s = ${Lab.fmt(d.factor)}`;
    Plots.draw("angle-plot", traces, {
      title: { text: `${isCos ? "cos(m·θᵢ)" : "Angle m·θᵢ mod 2π"}: head_dim ${d.head_dim}, base ${Lab.fmt(d.base)}, ${scaling}`, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 40, b: 50 }, height: 560, font: Plots.FONT, hovermode: "closest",
      xaxis: { title: { text: `position m (tokens${d.spacing === "log" ? ", log scale" : ""})` }, type: d.spacing === "log" ? "log" : "linear",
        range: d.spacing === "log" ? [Math.log10(first), Math.log10(last)] : [first, last] },
      yaxis: { title: { text: "pair index i (θᵢ slows as i grows)" }, range: [-0.5, top] },
      legend: { orientation: "h", x: 0, y: -0.14, xanchor: "left", yanchor: "top" },
    });
  }

  function drawDecay(d) {
    const x = d.distances, ends = [x[0], x[x.length - 1]];
    const traces = [], a = Lab.fmt(d.attention_factor);
    const label = d.rope_type === "default" ? `plain RoPE (base ${Lab.fmt(d.base)})` : `${d.rope_type}, s = ${Lab.fmt(d.factor)} (× a², a = ${a})`;
    const hover = (what) => `distance %{x:,}: ${what} %{y:.4g}<extra></extra>`;
    traces.push({ x, y: d.scaled.bound, mode: "lines", name: `${label}: bound`, line: { color: COLORS.scaled, width: 2 },
      hovertemplate: hover("bound") });
    traces.push({ x, y: d.scaled.mean_dot, mode: "lines", name: `${label}: mean q·q`, yaxis: "y2",
      line: { color: COLORS.target, width: 2 }, hovertemplate: hover("mean q·q") });
    if (d.plain) {
      traces.push({ x, y: d.plain.bound, mode: "lines", name: `plain RoPE, base ${Lab.fmt(d.base)}: bound`,
        line: { color: COLORS.plain, dash: "dash", width: 1.5 }, hovertemplate: hover("plain bound") });
      traces.push({ x, y: d.plain.mean_dot, mode: "lines", name: `plain RoPE: mean q·q`, yaxis: "y2",
        line: { color: "#d6a27a", dash: "dash", width: 1.5 }, hovertemplate: hover("plain mean q·q") });
    }
    const span = (key, yaxis) => {
      const values = [d.scaled, d.plain].filter(Boolean).flatMap((c) => c[key]);
      return [Math.min(...values), Math.max(...values)];
    };
    const marks = [[d.scaled.at.L, `L = ${Lab.fmt(d.original)}`, COLORS.train]];
    if (d.scaled.at.N && d.target !== d.original) marks.push([d.scaled.at.N, `N = ${Lab.fmt(d.target)}`, COLORS.train]);
    for (const [m, name, color] of marks) {
      if (m.distance < ends[0] || m.distance > ends[1]) continue;
      const dash = name.startsWith("L") ? "dot" : "dashdot";
      traces.push(line([m.distance, m.distance], span("bound"), `distance ${name}`, color, dash));
      traces.push({ ...line([m.distance, m.distance], span("mean_dot"), `distance ${name}`, color, dash, "y2"), showlegend: false });
    }
    const log = d.spacing === "log";
    Plots.draw("decay-plot", traces, {
      title: { text: `Long-term decay: head_dim ${d.head_dim}, base ${Lab.fmt(d.base)}`, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 40, b: 50 }, height: 620, font: Plots.FONT, hovermode: "closest",
      xaxis: { title: { text: `relative distance n − m (tokens${log ? ", log scale" : ""})` }, type: log ? "log" : "linear", anchor: "y2" },
      yaxis: { domain: [0.56, 1], title: { text: "(1/(d/2)) Σⱼ |Sⱼ| × a²" }, rangemode: "tozero" },
      yaxis2: { domain: [0, 0.44], title: { text: "mean ⟨Rₘq, Rₙq⟩ × a²" }, zeroline: true },
      legend: { orientation: "h", x: 0, y: -0.12, xanchor: "left", yanchor: "top" },
      annotations: [
        { text: "RoFormer's relative upper bound", xref: "paper", yref: "paper", x: 1, y: 1, xanchor: "right", yanchor: "bottom", showarrow: false },
        { text: "mean score of a random q with itself", xref: "paper", yref: "paper", x: 1, y: 0.44, xanchor: "right", yanchor: "bottom", showarrow: false },
      ],
    });
  }

  function showMap(d) {
    $("beyond").textContent = `${d.beyond_training.length} of ${d.pairs.length}` +
      (d.rope_type === "default" ? "" : ` (plain RoPE: ${d.beyond_training_plain.length})`);
    if (d.ramp) {
      const [fast, slow] = [d.ramp.fast.pair, d.ramp.slow.pair].map((p) => p.toFixed(2));
      let text = `L/λ crosses ${Lab.fmt(d.ramp.fast.turns)} at pair ${fast}, ${Lab.fmt(d.ramp.slow.turns)} at pair ${slow}`;
      if (d.ramp.ramp) text += `; ramp over pairs ${d.ramp.ramp[0]} … ${d.ramp.ramp[1]}`;
      if (d.ramp.active === false) text += " (off: N ≤ L)";
      $("ramp").textContent = text;
    } else {
      $("ramp").textContent = "— (no ramp for this rope_type)";
    }
    $("map-sampling").textContent = d.sampling;
    $("config-json").textContent = JSON.stringify(d.config, null, 2);
    drawMap(d);
  }

  function showDecay(d) {
    const at = d.scaled.at, keys = ["0", "L", "N"].filter((k) => at[k]);
    $("attention-factor").textContent = Lab.fmt(d.attention_factor);
    $("bound-at").textContent = keys.map((k) => Lab.fmt(at[k].bound)).join(" / ");
    $("mean-at").textContent = keys.map((k) => Lab.fmt(at[k].mean_dot)).join(" / ");
    $("decay-sampling").textContent = d.sampling;
    drawDecay(d);
  }

  async function update(settings) {
    const mine = ++latest;
    const [map, decay] = queries(settings);
    try {
      const [m, d] = await Promise.all([Lab.api(`/api/angles?${map}`), Lab.api(`/api/decay?${decay}`)]);
      if (mine !== latest) return; // a newer request is on its way
      $("angles-error").hidden = true;
      showMap(m);
      showDecay(d);
      document.body.dataset.ready = String(mine);
    } catch (err) {
      if (mine !== latest) return;
      $("angles-error").textContent = err.message;
      $("angles-error").hidden = false;
    }
  }

  Widgets.urlState(form); // the settings live in the URL: a reload keeps them, a link shares them
  Lab.ropeForm(form, types, update);
})();
