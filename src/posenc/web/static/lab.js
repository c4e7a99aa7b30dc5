// posenc lab: what every page shares. Progress (the steps visited) is kept in this browser only.
"use strict";
const Lab = (() => {
  const KEY = "posenc.visited";
  const read = (key, fallback) => {
    try { const v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; }
    catch (e) { return fallback; }
  };
  const write = (key, value) => { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ } };
  const visited = () => new Set(read(KEY, []));
  const markVisited = (key) => { if (!key) return; const v = visited(); v.add(key); write(KEY, [...v]); };
  const steps = JSON.parse(document.getElementById("path-data").textContent);
  const stepKey = (s) => (["note", "experiment"].includes(s.kind) ? `${s.kind}:${s.id}` : s.kind);

  // JSON from the lab's API; an error answer becomes an Error carrying the server's message
  async function api(url, options = {}) {
    const response = await fetch(url, options);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const message = (body && body.error) || `${response.status} ${response.statusText}`;
      const err = new Error(message); err.status = response.status; throw err;
    }
    return body;
  }
  function post(url, data) {
    return api(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data) });
  }
  function fmt(x, digits = 4) {
    if (x === null || x === undefined) return "—";
    if (!Number.isFinite(x)) return String(x);
    const a = Math.abs(x);
    if (Number.isInteger(x) && a < 1e15) return x.toLocaleString("en-US");  // lengths: every digit
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(digits - 1);
    return Number(x.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
  }

  // The RoPE scaling form of the explorer and the angle map (_rope_scaling.html): plain RoPE until its "scaling"
  // toggle is on, then shows only the parameters the chosen rope_type reads (types: rope_type -> their names);
  // calls update(query) on load and on every change, query holding head_dim, base, rope_type and those
  // parameters.
  function ropeForm(form, types, update) {
    const $ = (id) => document.getElementById(id);
    const ropeType = () => (!$("scaling") || $("scaling").checked ? $("rope_type").value : "default");
    const reads = () => types[ropeType()];
    const showControls = () => {
      if ($("scaling-controls")) $("scaling-controls").hidden = !$("scaling").checked;
      form.querySelectorAll("[data-param]").forEach((div) => { div.hidden = !reads().includes(div.dataset.param); });
    };
    const changed = () => {
      $("factor-out").textContent = $("factor").value;
      $("target-note").textContent = ropeType() === "dynamic" ? "dynamic NTK is computed at this length" : "";
      const query = new URLSearchParams({ head_dim: $("head_dim").value, base: $("base").value, rope_type: ropeType() });
      for (const name of reads()) query.set(name, $(name).value);
      update(query);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", () => { showControls(); changed(); });
    form.addEventListener("submit", (e) => e.preventDefault());
    showControls();
    changed();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const here = document.body.dataset.pathKey;
    markVisited(here);
    const seen = visited();
    // off-path pages: "Next" resumes at the first step not yet visited
    const link = document.getElementById("next-link");
    if (link && link.dataset.resume) {
      const first = steps.find((s) => !seen.has(stepKey(s)));
      if (first) { link.href = first.url; link.textContent = `Next: ${first.number}. ${first.title} →`; }
    }
    document.querySelectorAll("[data-key]").forEach((el) => { if (seen.has(el.dataset.key)) el.classList.add("done"); });
    const progress = document.getElementById("path-progress");
    if (progress) {
      const done = steps.filter((s) => seen.has(stepKey(s))).length;
      progress.textContent = `${done} of ${steps.length} steps visited`;
    }
    const reset = document.getElementById("reset-progress");
    if (reset) reset.addEventListener("click", () => { write(KEY, []); location.reload(); });
  });
  return { api, post, fmt, read, write, steps, ropeForm };
})();
