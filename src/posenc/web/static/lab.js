// posenc lab: what every page shares. The learner's progress is kept by the lab (static/progress.js).
"use strict";
const Lab = (() => {
  // this run's session token (base.html): the lab's state-changing routes demand it (web/session.py)
  const token = (document.querySelector('meta[name="posenc-token"]') || {}).content || "";
  const read = (key, fallback) => {
    try { const v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; }
    catch (e) { return fallback; }
  };
  const write = (key, value) => { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ } };
  const steps = JSON.parse(document.getElementById("path-data").textContent);

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
    const headers = { "content-type": "application/json", "x-posenc-token": token };
    return api(url, { method: "POST", headers, body: JSON.stringify(data) });
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
    let last = null;  // one edit fires both "input" and "change": the same query is sent once
    const changed = () => {
      $("factor-out").textContent = $("factor").value;
      $("target-note").textContent = ropeType() === "dynamic" ? "dynamic NTK is computed at this length" : "";
      const query = new URLSearchParams({ head_dim: $("head_dim").value, base: $("base").value, rope_type: ropeType() });
      for (const name of reads()) query.set(name, $(name).value);
      // the whole form's state (a page may read more fields than the query holds, as the angle map does)
      const state = [...form.elements].map((el) => `${el.id || el.name}=${el.type === "checkbox" || el.type === "radio" ? el.checked : el.value}`).join("&");
      if (state === last) return;
      last = state;
      update(query);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", () => { showControls(); changed(); });
    form.addEventListener("submit", (e) => e.preventDefault());
    showControls();
    changed();
  }

  return { api, post, fmt, read, write, steps, ropeForm };
})();

// The header's navigation collapses behind a menu button on narrow screens (lab.css); Escape closes it.
(() => {
  const button = document.getElementById("menu-button");
  const nav = document.getElementById("site-nav");
  if (!button || !nav) return;
  const set = (open) => { button.setAttribute("aria-expanded", String(open)); nav.classList.toggle("open", open); };
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") { set(false); button.focus(); }
  });
})();

// A region that scrolls sideways (a wide formula, table or listing) can be focused, so the keyboard scrolls it.
(() => {
  const mark = () => {
    document.querySelectorAll("main pre, main .math, main table, main .scroll, main [data-result]").forEach((el) => {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (scrolls && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); el.dataset.scrollFocus = "1"; }
      else if (!scrolls && el.dataset.scrollFocus) { el.removeAttribute("tabindex"); delete el.dataset.scrollFocus; }
    });
  };
  let pending = null;
  const later = () => { if (!pending) pending = requestAnimationFrame(() => { pending = null; mark(); }); };
  const main = document.getElementById("main");
  if (main) new MutationObserver(later).observe(main, { childList: true, subtree: true });
  window.addEventListener("resize", later);
  mark();
})();
