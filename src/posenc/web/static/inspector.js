// Inspector: the report comes from POST /api/inspect (posenc inspect's own functions); this script only
// checks what it sends and draws what comes back.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("inspect-form");
  const settings = $("inspect-settings"); // the part of the page whose settings the URL holds
  const MAX_BODY = Number(form.dataset.maxBody);
  const MAX_DEPTH = Number(form.dataset.maxDepth);
  let lastRequest = null; // the body of the last successful inspection (for the static plot)
  let plotUrl = null;

  // a new error replaces the previous result (nothing stale stays under it)
  function fail(message) {
    $("inspect-busy").hidden = true;
    $("result").hidden = true;
    lastRequest = null;
    $("inspect-error").textContent = message;
    $("inspect-error").hidden = false;
  }

  function jsonType(v) {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    return typeof v;
  }

  // refuse in the page what the server would refuse: too big, not JSON, not an object, too deep, non-finite
  function checkText(text) {
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > MAX_BODY - 100) return `the config is ${Math.ceil(bytes / 1024)} KiB; the lab reads at most ${Math.floor(MAX_BODY / 1024) - 1} KiB`;
    if (!text.trim()) return "paste a config.json (a JSON object) or choose a file first";
    let value;
    try { value = JSON.parse(text); } catch (err) {
      return err instanceof RangeError ? `the JSON is nested too deeply (at most ${MAX_DEPTH} levels are read)` : `not valid JSON: ${err.message}`;
    }
    if (jsonType(value) !== "object") return `expected a JSON object {...} as in a config.json, got a JSON ${jsonType(value)}`;
    const stack = [[value, 1, "config"]];
    while (stack.length) {
      const [item, depth, where] = stack.pop();
      if (typeof item === "number" && !Number.isFinite(item)) return `${where} is a number too large for a float; use a finite number`;
      if (item === null || typeof item !== "object") continue;
      if (depth > MAX_DEPTH) return `the JSON is nested more than ${MAX_DEPTH} levels deep; a config.json nests a few levels`;
      for (const [k, v] of Object.entries(item)) stack.push([v, depth + 1, Array.isArray(item) ? `${where}[${k}]` : `${where}.${k}`]);
    }
    return null;
  }

  function targetPart() {
    const raw = $("target-length").value.trim();
    if (!raw) return { part: "", error: null };
    const n = Number(raw), max = Number($("target-length").max);
    if (!Number.isInteger(n) || n < 1 || n > max) return { part: "", error: `target length must be an integer between 1 and ${max}, got ${raw}` };
    return { part: `, "target_length": ${n}`, error: null };
  }

  // the optional model type to read the config as (posenc inspect --as)
  function asTypePart() {
    const raw = $("as-type").value.trim();
    return raw ? `, "as_type": ${JSON.stringify(raw)}` : "";
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
  }

  // the per-pair charts of the explorer and the scaling note (ScalingCharts, static/widgets/scaling.js)
  function drawPlots(r) {
    const pairs = (r.pairs || []).map((p) => p.pair);
    $("plots-box").hidden = !pairs.length;  // a config that is not RoPE has no pairs: no blank plot area
    if (!pairs.length) return;
    const scaled = r.rope_type !== "default";
    const lines = [{ label: `training length L = ${Lab.fmt(r.training_length)}`, tokens: r.training_length }];
    if (r.target_length !== r.training_length) lines.push({ label: `target length N = ${Lab.fmt(r.target_length)}`, tokens: r.target_length });
    const crit = r.critical_dimension && r.critical_dimension.pairs_below;
    ScalingCharts.draw($("inspect-plot"), $("scale-plot"), {
      pairs, base: r.base, plain: r.pairs.map((p) => p.wavelength_default), scaled: r.pairs.map((p) => p.wavelength),
      scaledLabel: scaled ? `${r.rope_type} at N = ${Lab.fmt(r.target_length)}` : null, lines, bands: [],
      critical: crit, scale: r.pairs.map((p) => p.scale_factor), factor: scaled && Number.isFinite(r.factor) ? r.factor : null,
    });
  }

  function show(d) {
    const r = d.report;
    $("result").hidden = false;
    $("result-title").textContent = `${d.name}${r.rope_type ? ` — RoPE, rope_type ${r.rope_type}` : ""}`;
    $("result-message").hidden = d.family === "rope";
    $("result-message").textContent = r.message || "";
    $("figures-cell").hidden = !d.figures.length;  // no empty key-figures table
    const figures = $("figures");
    figures.replaceChildren(...d.figures.map((f) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.textContent = f.label; tr.appendChild(th);
      cell(tr, typeof f.value === "number" ? Lab.fmt(f.value, 6) : String(f.value), "num");
      cell(tr, f.detail || "", "hint");
      return tr;
    }));
    $("scaling-summary").textContent = (r.scaling && r.scaling.summary) || "—";
    $("attention-summary").textContent = (r.attention && r.attention.explanation) || "—";
    const pitfalls = $("pitfalls");
    const items = (r.pitfalls || []).map((p) => {
      const li = document.createElement("li"); li.className = p.severity;
      const tag = document.createElement("span"); tag.className = "severity"; tag.textContent = p.severity;
      li.append(tag, document.createTextNode(p.message));
      return li;
    });
    if (!items.length) { const li = document.createElement("li"); li.textContent = "none found"; items.push(li); }
    pitfalls.replaceChildren(...items);
    $("terminal").textContent = d.text;
    $("static-plot").hidden = d.family !== "rope";
    $("static-plot-box").replaceChildren();
    drawPlots(r);
  }

  async function inspect(body) {
    $("inspect-error").hidden = true;
    $("inspect-busy").hidden = false;
    try {
      const d = await Lab.api("/api/inspect", { method: "POST", headers: { "content-type": "application/json" }, body });
      lastRequest = body;
      if (d.config) $("config-text").value = JSON.stringify(d.config, null, 2);  // a bundled one, to edit
      show(d);
      $("inspect-busy").hidden = true;
      $("result").scrollIntoView({ behavior: "instant", block: "start" });
    } catch (err) { fail(err.message); }
  }

  function inspectBundled(name) {
    const { part, error } = targetPart();
    if (error) { fail(error); return; }
    inspect(`{"name": ${JSON.stringify(name)}${part}${asTypePart()}}`);
  }
  $("bundled").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-name]");
    if (!button) return;
    $("bundled-name").value = button.dataset.name; // into the URL (data-push: one history entry)
    inspectBundled(button.dataset.name);
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("config-text").value;
    const problem = checkText(text);
    if (problem) { fail(problem); return; }
    const { part, error } = targetPart();
    if (error) { fail(error); return; }
    // the URL no longer names a bundled model (the pasted text itself stays out of it)
    if ($("bundled-name").value) { $("bundled-name").value = ""; settings.dispatchEvent(new Event("change", { bubbles: true })); }
    inspect(`{"config": ${text}${part}${asTypePart()}}`); // the text as pasted: the server reads the very numbers given
  });

  $("config-file").addEventListener("change", async () => {
    const file = $("config-file").files[0];
    if (!file) return;
    if (file.size > MAX_BODY - 100) { fail(`${file.name} is ${Math.ceil(file.size / 1024)} KiB; the lab reads at most ${Math.floor(MAX_BODY / 1024) - 1} KiB`); return; }
    $("config-text").value = await file.text();
    form.requestSubmit();
  });

  $("static-plot").addEventListener("click", async () => {
    if (!lastRequest) return;
    const button = $("static-plot");
    button.disabled = true;
    $("static-plot-box").replaceChildren(Object.assign(document.createElement("p"), { className: "busy", textContent: "Drawing with matplotlib…" }));
    try {
      const body = lastRequest.replace(/}\s*$/, ', "plot": true}');
      const d = await Lab.api("/api/inspect", { method: "POST", headers: { "content-type": "application/json" }, body });
      if (plotUrl) URL.revokeObjectURL(plotUrl);
      plotUrl = URL.createObjectURL(new Blob([d.plot_svg], { type: "image/svg+xml" }));
      const img = Object.assign(document.createElement("img"), { src: plotUrl, className: "inspect-plot", alt: `posenc inspect --plot for ${d.name}` });
      $("static-plot-box").replaceChildren(img);
    } catch (err) { $("static-plot-box").replaceChildren(); fail(err.message); }
    finally { button.disabled = false; }
  });

  // the settings live in the URL: a reload or a shared link shows the same bundled model; Back the one before
  const restore = () => { if ($("bundled-name").value) inspectBundled($("bundled-name").value); };
  Widgets.urlState(settings, restore);
  restore();
})();
