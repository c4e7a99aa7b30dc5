// Trained models on your text: every number comes from /api/models/* (posenc.evaluate.views);
// this script only draws. The lab computes one model view at a time, so the page sends its requests
// one after the other (the latest of each kind wins) and never races itself into a 429.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("models-data").textContent);
  const byName = Object.fromEntries(data.models.map((m) => [m.name, m]));
  const SERIES = ["#2f5fd0", "#c2410c", "#1f7a3a", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#db2777"];
  const MARK = "#1d4ed8"; // the training length, everywhere on the page
  // the loss colour scale, low to high (the same stops as .legend-bar in models.css)
  const LOSS_COLOURS = ["#fffbe6", "#fde68a", "#f59e0b", "#dc2626", "#7f1d1d", "#2e0a0a"].map((h) =>
    [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

  // ------------------------------------------------------------------ one request at a time
  const pending = new Map();
  let busy = false;
  function schedule(kind, task) { pending.set(kind, task); pump(); }
  async function pump() {
    if (busy || pending.size === 0) return;
    const [kind, task] = pending.entries().next().value;
    pending.delete(kind);
    busy = true;
    try { await task(); } finally { busy = false; pump(); }
  }
  const debounce = (fn, ms) => { let timer; return () => { clearTimeout(timer); timer = setTimeout(fn, ms); }; };
  const done = (key) => { document.body.dataset[key] = String(Number(document.body.dataset[key] || 0) + 1); };

  // what each kind of request draws: dimmed while an error says it no longer matches the controls
  const FIGURES = { attention: ["attn-facts", "attn-heatmap", "attn-head-profile"], profiles: ["profiles-plot"],
    loss: ["loss-panels", "loss-chart"], passkey: ["pk-facts", "pk-answers"] };
  const stale = (key, on) => FIGURES[key].forEach((id) => $(id).classList.toggle("stale", on));
  function fail(id, err, key) {
    const box = $(id);
    box.textContent = err.status === 429 ? `${err.message} (retrying…)` : err.message;
    box.hidden = false;
    stale(key, true);
    document.body.dataset[`${key}Error`] = err.message;
    done(key);
  }
  function clear(id, key) { $(id).hidden = true; stale(key, false); delete document.body.dataset[`${key}Error`]; }
  const bytesOf = (text) => new TextEncoder().encode(text).length;
  function count(id, text, limit) {
    const n = bytesOf(text), el = $(id);
    el.textContent = `${n.toLocaleString("en-US")} bytes (UTF-8) of at most ${limit.toLocaleString("en-US")}`;
    el.classList.toggle("bad", n > limit);
  }
  // a byte as the readouts show it; "" is a continuation byte of a multi-byte character
  const shown = (ch) => ({ "\n": "↵", "\t": "⇥", " ": "␣", "": "·" })[ch] ?? ch;
  const verticalLine = (x, label) => ({
    shapes: [{ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { color: MARK, dash: "dash", width: 1.5 } }],
    annotations: [{ xref: "x", yref: "paper", x, y: 1, text: label, showarrow: false, xanchor: "left", yanchor: "bottom", font: { color: MARK } }],
  });

  // ------------------------------------------------------------------ 1. attention
  const attn = { model: $("attn-model"), layer: $("attn-layer"), head: $("attn-head"), text: $("attn-text") };
  let chars = [];

  function fillIndices(select, n, noun) {
    const old = Number(select.value || 0);
    select.replaceChildren(...Array.from({ length: n }, (_, i) => new Option(`${noun} ${i}`, String(i))));
    select.value = String(Math.min(old, n - 1));
  }

  function modelChosen() {
    const m = byName[attn.model.value];
    fillIndices(attn.layer, m.n_layers, "layer");
    fillIndices(attn.head, m.n_heads, "head");
    $("attn-model-note").textContent = `${m.pe} · d ${m.d_model} · ${m.n_layers} layer${m.n_layers > 1 ? "s" : ""} × ${m.n_heads} heads · `
      + `trained at L = ${m.train_length} bytes, ${m.steps} steps × ${m.batch_size} sequences`;
  }

  // base64 of float32 rows of the lower triangle -> rows of n cells, null above the diagonal
  function heatRows(b64, n) {
    const text = atob(b64), raw = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) raw[i] = text.charCodeAt(i);
    const w = new Float32Array(raw.buffer);
    const rows = [];
    for (let i = 0, at = 0; i < n; at += ++i) {
      const row = new Array(n).fill(null);
      for (let j = 0; j <= i; j++) row[j] = w[at + j];
      rows.push(row);
    }
    return rows;
  }

  function drawAttention(d) {
    chars = d.chars;
    const n = d.bytes, L = d.train_length;
    const facts = `${d.label} (${d.model}), layer ${d.layer}, head ${d.head}: ${n} bytes`
      + ` · trained at L = ${L} bytes, step ${d.step} of ${d.steps}`
      + (d.heldout_loss !== null ? `, held-out loss ${Lab.fmt(d.heldout_loss, 3)} nats per byte` : "");
    $("attn-facts").textContent = d.note ? `${facts}. ${d.note}.` : facts;
    const marks = L < n ? [
      { type: "line", x0: -0.5, x1: n - 0.5, y0: L - 0.5, y1: L - 0.5, line: { color: MARK, dash: "dash", width: 1.5 } },
      { type: "line", x0: L - 0.5, x1: L - 0.5, y0: L - 0.5, y1: n - 0.5, line: { color: MARK, dash: "dot", width: 1 } },
    ] : [];
    Plots.draw("attn-heatmap", [{
      type: "heatmap", z: heatRows(d.weights.data, n), zmin: 0, zmax: d.colour_max, hoverongaps: false,
      colorscale: "Viridis",
      colorbar: { title: { text: `attention weight w<sub>ij</sub> (top colour: ≥ ${Lab.fmt(d.colour_max, 2)},<br>the 99th percentile; largest ${Lab.fmt(d.max_weight, 2)})`, side: "right" }, thickness: 14 },
      hovertemplate: "query i = %{y}, key j = %{x}<br>w = %{z:.4f}<extra></extra>",
    }], {
      title: { text: `Where each byte looks: ${d.label}, layer ${d.layer}, head ${d.head}`, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 44, b: 56 }, height: 560, font: Plots.FONT,
      xaxis: { title: { text: "key position j (bytes)" }, range: [-0.5, n - 0.5], constrain: "domain" },
      yaxis: { title: { text: "query position i (bytes)" }, range: [n - 0.5, -0.5], scaleanchor: "x", constrain: "domain" },
      shapes: marks,
      annotations: L < n ? [{ x: n - 0.5, y: L - 0.5, text: `L = ${L}: queries below never seen in training`, showarrow: false,
        xanchor: "right", yanchor: "bottom", font: { color: MARK, size: 11 } }] : [],
    });

    const distances = d.head_profile.map((_, k) => k);
    const line = L < n ? verticalLine(L, `L = ${L}`) : { shapes: [], annotations: [] };
    Plots.draw("attn-head-profile", [
      { x: distances, y: d.head_profile, mode: "lines", name: `layer ${d.layer}, head ${d.head}`, line: { color: SERIES[0], width: 2 },
        hovertemplate: "Δ = %{x} bytes back: %{y:.3g}<extra></extra>" },
      { x: distances, y: d.uniform, mode: "lines", name: "spread evenly over the earlier bytes", line: { color: "#6b7280", dash: "dash", width: 1.5 },
        hovertemplate: "even: %{y:.3g}<extra></extra>" },
    ], {
      title: { text: "This head: mean attention against distance", font: { size: 14 } },
      margin: { l: 70, r: 20, t: 40, b: 90 }, height: 330, font: Plots.FONT,
      xaxis: { title: { text: "distance Δ = i − j (bytes back)" } },
      yaxis: { title: { text: "mean weight A(Δ), log" }, type: "log", exponentformat: "power" },
      legend: { orientation: "h", x: 0, y: -0.38, xanchor: "left", yanchor: "top" }, ...line,
    });
  }

  function requestAttention() {
    schedule("attention", async () => {
      try {
        const d = await Lab.post("/api/models/attention", {
          run: data.run, model: attn.model.value, text: attn.text.value,
          layer: Number(attn.layer.value), head: Number(attn.head.value),
        });
        clear("attn-error", "attention");
        drawAttention(d);
        done("attention");
      } catch (err) {
        fail("attn-error", err, "attention");
        if (err.status === 429) setTimeout(requestAttention, 1000);
      }
    });
  }

  function drawProfiles(d) {
    const traces = d.series.map((s, k) => ({
      x: s.mean.map((_, i) => i), y: s.mean, mode: "lines", name: `${s.label}${s.note ? ` (first ${s.bytes} bytes)` : ""}`,
      line: { color: SERIES[k % SERIES.length], width: 2 }, hovertemplate: `${s.label}: Δ = %{x}, %{y:.3g}<extra></extra>`,
    }));
    traces.push({ x: d.uniform.map((_, i) => i), y: d.uniform, mode: "lines", name: "spread evenly over the earlier bytes",
      line: { color: "#111827", dash: "dash", width: 1.5 }, hovertemplate: "even: %{y:.3g}<extra></extra>" });
    const L = d.series.length ? d.series[0].train_length : null;
    const line = L !== null && L < d.bytes ? verticalLine(L, `L = ${L}`) : { shapes: [], annotations: [] };
    Plots.draw("profiles-plot", traces, {
      title: { text: `Mean attention against distance, every layer and head, first ${d.bytes} bytes`, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 44, b: 50 }, height: 460, font: Plots.FONT,
      xaxis: { title: { text: "distance Δ = i − j (bytes back)" } },
      yaxis: { title: { text: "mean attention weight A(Δ), log" }, type: "log", exponentformat: "power" },
      legend: { x: 1, xanchor: "right", y: 1 }, ...line,
    });
  }

  function requestProfiles() {
    schedule("profiles", async () => {
      try {
        const d = await Lab.post("/api/models/profiles", { run: data.run, text: attn.text.value });
        clear("profiles-error", "profiles");
        drawProfiles(d);
        done("profiles");
      } catch (err) {
        fail("profiles-error", err, "profiles");
        if (err.status === 429) setTimeout(requestProfiles, 1000);
      }
    });
  }

  // ------------------------------------------------------------------ 2. where a model breaks
  const loss = { text: $("loss-text"), a: $("loss-model-a"), b: $("loss-model-b"), rope: $("loss-rope-model"),
    scaling: $("loss-scaling"), unit: $("loss-unit") };

  function colour(value, max) {
    const t = Math.min(Math.max(value / max, 0), 1) * (LOSS_COLOURS.length - 1);
    const k = Math.min(Math.floor(t), LOSS_COLOURS.length - 2), f = t - k;
    const [a, b] = [LOSS_COLOURS[k], LOSS_COLOURS[k + 1]];
    return { bg: `rgb(${a.map((v, i) => Math.round(v + f * (b[i] - v))).join(",")})`, dark: t > 2.6 };
  }

  function legend(d) {
    $("legend-title").textContent = `loss per byte (${d.unit})`;
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const span = document.createElement("span");
      span.style.left = `${100 * f}%`;
      span.textContent = f === 1 ? `≥ ${Lab.fmt(d.scale_max, 3)}` : Lab.fmt(f * d.scale_max, 3);
      return span;
    });
    $("legend-ticks").replaceChildren(...ticks);
  }

  function panelText(d, p) {
    const pre = document.createElement("pre");
    pre.className = "loss-text";
    const L = p.train_length;
    d.chars.forEach((ch, k) => {
      if (k === L + 1 && k < p.read) {
        const mark = document.createElement("span");
        mark.className = "train-mark"; mark.textContent = "L";
        mark.title = `training length L = ${L}: the bytes after this mark are predicted from positions the model never saw`;
        pre.append(mark);
      }
      const span = document.createElement("span");
      span.className = "byte";
      span.textContent = ch === "\n" ? "↵" : ch === "" ? "·" : ch;
      if (ch === "\n" || ch === "") span.classList.add("ctl");
      if (k === 0) {
        span.classList.add("first"); span.title = "byte 0: not predicted (nothing before it)";
      } else if (k >= p.read) {
        span.classList.add("na"); span.title = `byte ${k}: not read (${p.note})`;
      } else {
        const v = p.losses[k - 1], c = colour(v, d.scale_max);
        span.style.background = c.bg;
        if (c.dark) span.style.color = "#fff";
        span.title = `byte ${k} «${shown(ch)}»: ${Lab.fmt(v, 3)} ${d.unit}`;
      }
      pre.append(span);
      if (ch === "\n") pre.append("\n");
    });
    return pre;
  }

  function drawLoss(d) {
    legend(d);
    const panels = d.panels.map((p) => {
      const box = document.createElement("article");
      box.className = "loss-panel";
      box.dataset.model = p.model;
      const h = document.createElement("h3");
      const scaled = p.scaling === "none" ? "" : p.applied ? ` + ${p.scaling_label}, factor ${Lab.fmt(p.applied.factor, 3)}` : ` + ${p.scaling_label} (not needed: the text fits in L)`;
      h.textContent = `${p.label}${scaled}`;
      const facts = document.createElement("p");
      facts.className = "facts";
      const beyond = p.mean_beyond === null ? "—" : Lab.fmt(p.mean_beyond, 3);
      const bold = (cls, text) => { const el = document.createElement("b"); el.className = cls; el.textContent = text; return el; };
      facts.append(`${p.model} · trained at L = ${p.train_length}, step ${p.step} of ${p.steps}`, document.createElement("br"),
        `mean loss, bytes 1–${p.train_length}: `, bold("inside", Lab.fmt(p.mean_inside, 3)), " · beyond L: ",
        bold("beyond", beyond), ` ${d.unit} per byte`);
      box.append(h, facts);
      if (p.note) { const note = document.createElement("p"); note.className = "note"; note.textContent = p.note; box.append(note); }
      box.append(panelText(d, p));
      return box;
    });
    $("loss-panels").replaceChildren(...panels);

    const traces = d.panels.map((p, k) => ({
      x: p.running.map((_, i) => i + 1), y: p.running, mode: "lines", line: { color: SERIES[k], width: 2 },
      name: `${p.label}${p.scaling === "none" ? "" : ` + ${p.scaling_label}`}`,
      hovertemplate: `byte %{x}: %{y:.3g} ${d.unit}<extra></extra>`,
    }));
    const Ls = [...new Set(d.panels.map((p) => p.train_length))].filter((L) => L + 1 < d.bytes);
    Plots.draw("loss-chart", traces, {
      title: { text: `Loss per byte, running mean over the last ${d.window} bytes`, font: { size: 15 } },
      margin: { l: 70, r: 20, t: 44, b: 90 }, height: 420, font: Plots.FONT,
      xaxis: { title: { text: "byte position t (the byte predicted)" } },
      yaxis: { title: { text: `loss (${d.unit} per byte)` }, rangemode: "tozero" },
      legend: { orientation: "h", x: 0, y: -0.25, xanchor: "left", yanchor: "top" },
      shapes: Ls.map((L) => ({ type: "line", xref: "x", yref: "paper", x0: L + 0.5, x1: L + 0.5, y0: 0, y1: 1, line: { color: MARK, dash: "dash", width: 1.5 } })),
      annotations: Ls.map((L) => ({ xref: "x", yref: "paper", x: L + 0.5, y: 1, text: `L = ${L}`, showarrow: false, xanchor: "left", yanchor: "bottom", font: { color: MARK } })),
    });
  }

  function requestLoss() {
    schedule("loss", async () => {
      try {
        const d = await Lab.post("/api/models/loss", {
          run: data.run, text: loss.text.value, unit: loss.unit.value,
          panels: [{ model: loss.a.value }, { model: loss.b.value }, ...(loss.rope.value ? [{ model: loss.rope.value, scaling: loss.scaling.value }] : [])],
        });
        clear("loss-error", "loss");
        drawLoss(d);
        done("loss");
      } catch (err) {
        fail("loss-error", err, "loss");
        if (err.status === 429) setTimeout(requestLoss, 1000);
      }
    });
  }

  // ------------------------------------------------------------------ wiring
  function pick(select, names) {
    const found = names.find((n) => [...select.options].some((o) => o.value === n));
    if (found) select.value = found;
  }
  const main = (prefix) => data.main.filter((n) => n.startsWith(prefix));
  pick(attn.model, [...main("rope-1e4"), ...data.main]);
  pick(loss.a, [...main("rope-1e4"), ...data.main]);
  pick(loss.b, [...main("alibi"), ...main("nope"), ...data.main]);
  pick(loss.rope, main("rope-1e4"));
  modelChosen();
  // the settings (models, layer, head, scaling, unit) live in the URL: a reload keeps them, a link shares them,
  // Back goes to the previous one; the texts stay out of it (up to thousands of bytes each)
  const attnForm = $("attention-form");
  Widgets.urlState(attnForm, () => { modelChosen(); Widgets.restore(attnForm); requestAttention(); });
  Widgets.urlState($("loss-form"), requestLoss);
  modelChosen(); // the layers and heads of the URL's model, then its layer and head
  Widgets.restore(attnForm);

  const attentionTyped = debounce(() => { requestAttention(); requestProfiles(); }, 400);
  attn.text.addEventListener("input", () => { count("attn-count", attn.text.value, data.limits.attention); attentionTyped(); });
  attn.model.addEventListener("change", () => { modelChosen(); requestAttention(); });
  attn.layer.addEventListener("change", requestAttention);
  attn.head.addEventListener("change", requestAttention);
  const lossTyped = debounce(requestLoss, 400);
  loss.text.addEventListener("input", () => { count("loss-count", loss.text.value, data.limits.loss); lossTyped(); });
  for (const select of [loss.a, loss.b, loss.rope, loss.scaling, loss.unit]) select.addEventListener("change", requestLoss);
  for (const form of [$("attention-form"), $("loss-form")]) form.addEventListener("submit", (e) => e.preventDefault());

  const heat = $("attn-heatmap");
  let hooked = false;
  const hook = () => {
    if (hooked || !heat.on) return;
    hooked = true;
    heat.on("plotly_hover", (ev) => {
      const pt = ev.points[0], i = pt.y, j = pt.x;
      $("attn-readout").innerHTML = "";
      const b = (text) => { const el = document.createElement("b"); el.textContent = text; return el; };
      $("attn-readout").append("query byte ", b(`${i} «${shown(chars[i])}»`), " gives key byte ", b(`${j} «${shown(chars[j])}»`),
        " the weight ", b(Lab.fmt(pt.z, 4)));
    });
  };
  new MutationObserver(hook).observe(heat, { childList: true });

  // the passkey view (passkey.js) sends its requests through the same queue
  window.ModelQueue = { schedule, done, fail, clear, data };

  count("attn-count", attn.text.value, data.limits.attention);
  count("loss-count", loss.text.value, data.limits.loss);
  requestAttention();
  requestProfiles();
  requestLoss();
})();
