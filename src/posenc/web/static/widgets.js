// Widgets: the components the tool pages and the notes share (one implementation each), and their state
// in the URL. A component is a root element <… data-widget="NAME" data-key="KEY"> holding named controls
// (inputs, selects) that its script (static/widgets/NAME.js) reads; the numbers it shows come from the
// lab's JSON routes, never from a formula here.
//
// URL state: the controls' values live in the query string, so a reload keeps them, a link shares them
// and Back goes to the previous setting. On a tool page (data-key="") the names are the query's keys
// (/explorer?head_dim=128); in a note each widget's keys carry its key as a prefix
// (/notes/clock?clock.position=12). Each gesture (a slider moved and released, a select, a button) adds one
// history entry, so Back undoes one gesture.
"use strict";
const Widgets = (() => {
  const components = {};
  const bound = []; // { root, defaults, refresh }

  const prefixOf = (root) => (root.dataset.key ? `${root.dataset.key}.` : "");
  // the controls that make up a root's state: named inputs and selects (radios by their group)
  function controls(root) {
    return [...root.querySelectorAll("input[name], select[name]")]
      .filter((el) => el.closest("[data-widget], [data-url-state]") === root && !el.hasAttribute("data-no-url"));
  }
  function read(root) {
    const state = {};
    for (const el of controls(root)) {
      if (el.type === "radio") { if (el.checked) state[el.name] = el.value; }
      else if (el.type === "checkbox") state[el.name] = el.checked ? "1" : "0";
      else state[el.name] = el.value;
    }
    return state;
  }
  function write(root, state) {
    for (const el of controls(root)) {
      if (!(el.name in state)) continue;
      const value = String(state[el.name]);
      if (el.type === "radio") el.checked = el.value === value;
      else if (el.type === "checkbox") el.checked = value === "1";
      else if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === value)) continue;
      else el.value = value;
    }
  }
  // this root's part of the URL's query
  function fromUrl(root) {
    const prefix = prefixOf(root), out = {};
    for (const [k, v] of new URLSearchParams(location.search)) {
      if (prefix ? k.startsWith(prefix) : !k.includes(".")) out[k.slice(prefix.length)] = v;
    }
    return out;
  }
  // One history entry per gesture: the first change of a gesture (a slider starts moving, a select is
  // picked, a button is pressed) adds an entry, the rest of it (the slider still moving) replaces that
  // entry, and the gesture ends with the control's "change" event.
  let moving = false;
  function save(root, ends) {
    const url = new URL(location.href), prefix = prefixOf(root);
    const names = new Set(controls(root).map((el) => el.name));
    for (const k of [...url.searchParams.keys()]) if (names.has(k.slice(prefix.length)) && k.startsWith(prefix)) url.searchParams.delete(k);
    for (const [k, v] of Object.entries(read(root))) url.searchParams.set(prefix + k, v);
    if (url.href !== location.href) {
      if (moving) history.replaceState(null, "", url); else history.pushState(null, "", url);
      moving = true;
    }
    if (ends) moving = false;
  }

  // Keep ``root``'s controls in the URL and call refresh() after a restore (Back/Forward). The URL's
  // values are applied at once (before the caller's first computation).
  function urlState(root, refresh) {
    const entry = { root, defaults: read(root), refresh };
    write(root, fromUrl(root));
    bound.push(entry);
    root.addEventListener("input", (e) => { if (!e.restoring) save(root, false); });
    root.addEventListener("change", (e) => { if (!e.restoring) save(root, true); });
    root.addEventListener("click", (e) => { if (e.target.closest("button[data-push]")) setTimeout(() => save(root, true), 0); });
    return entry;
  }
  // apply the URL's values to root's controls again (after a page filled a select's options)
  function restore(root) { write(root, fromUrl(root)); }
  window.addEventListener("popstate", () => {
    moving = false;
    for (const entry of bound) {
      write(entry.root, { ...entry.defaults, ...fromUrl(entry.root) });
      if (entry.refresh) entry.refresh();
      else { const e = new Event("change", { bubbles: true }); e.restoring = true; entry.root.dispatchEvent(e); }
    }
  });

  // a component: init(root, api) returns its refresh function (called on every input and on a restore)
  function register(name, init) { components[name] = init; }
  function start(root) {
    const init = components[root.dataset.widget];
    if (!init || root.dataset.started) return;
    root.dataset.started = "1";
    let latest = 0;
    const api = {
      part: (name) => root.querySelector(`[data-part="${name}"]`),
      value: (name) => read(root)[name],
      state: () => read(root),
      set: (name, value) => write(root, { [name]: value }),
      // fetch JSON for this widget; stale answers (a newer request is on its way) are dropped
      async fetch(url) {
        const mine = ++latest;
        try {
          const d = await Lab.api(url);
          if (mine !== latest) return null;
          const err = api.part("error"); if (err) err.hidden = true;
          root.dataset.ready = String(mine);
          return d;
        } catch (e) {
          if (mine !== latest) return null;
          const err = api.part("error");
          if (err) { err.textContent = e.message; err.hidden = false; }
          return null;
        }
      },
    };
    const entry = urlState(root, null);
    const draw = init(root, api);
    // a note's figure links to its tool page with the same settings (the tool reads the same names)
    const link = root.querySelector("a.open-tool");
    const linkState = () => {
      if (!link) return;
      const query = new URLSearchParams(read(root));
      for (const [k, v] of new URLSearchParams(root.dataset.toolExtra || "")) query.set(k, v);
      link.href = `${link.pathname}?${query}`;
    };
    if (link) link.addEventListener("click", linkState); // the settings of the moment, buttons' included
    const refresh = () => { const done = draw(); linkState(); return done; };
    entry.refresh = refresh;
    root.addEventListener("input", () => refresh());
    root.addEventListener("change", (e) => { if (e.type === "change") refresh(); });
    refresh();
  }
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-widget]").forEach(start));

  // ---- small SVG drawing helpers the components share ----
  const NS = "http://www.w3.org/2000/svg";
  function svg(parent, name, attrs = {}, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }
  function clear(node) { while (node.lastChild && node.lastChild.nodeName !== "title") node.removeChild(node.lastChild); }
  // a chart frame: x over [x0, x1], y over [y0, y1] (log10 when log), inside a viewBox of w × h
  function frame(el, { w = 640, h = 300, x0, x1, y0, y1, log = false, left = 58, right = 14, top = 14, bottom = 40 }) {
    const f = (v) => (log ? Math.log10(v) : v);
    const ly0 = f(y0), ly1 = f(y1);
    return {
      w, h, left, right, top, bottom, log,
      x: (v) => left + ((v - x0) / (x1 - x0 || 1)) * (w - left - right),
      y: (v) => top + (1 - (f(v) - ly0) / (ly1 - ly0 || 1)) * (h - top - bottom),
      ticks() {
        if (!log) {
          const step = niceStep((y1 - y0) / 5), out = [];
          for (let t = Math.ceil(y0 / step) * step; t <= y1 + 1e-9; t += step) out.push(+t.toPrecision(6));
          return out;
        }
        const out = [];
        for (let e = Math.ceil(ly0 - 1e-9); e <= ly1 + 1e-9; e++) out.push(10 ** e);
        return out;
      },
    };
  }
  function niceStep(raw) {
    const p = 10 ** Math.floor(Math.log10(raw || 1)), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  // axes with ticks and titles for a frame
  function axes(el, fr, { xticks, xtitle, ytitle, yfmt = fr.log ? logTick : (v) => Lab.fmt(v, 3) }) {
    const g = svg(el, "g", { class: "axes" });
    svg(g, "line", { x1: fr.left, y1: fr.h - fr.bottom, x2: fr.w - fr.right, y2: fr.h - fr.bottom, class: "axis" });
    svg(g, "line", { x1: fr.left, y1: fr.top, x2: fr.left, y2: fr.h - fr.bottom, class: "axis" });
    for (const t of fr.ticks()) {
      const y = fr.y(t);
      svg(g, "line", { x1: fr.left, y1: y, x2: fr.w - fr.right, y2: y, class: "grid" });
      svg(g, "text", { x: fr.left - 5, y: y + 4, "text-anchor": "end", class: "tick" }, yfmt(t));
    }
    for (const t of xticks) svg(g, "text", { x: fr.x(t), y: fr.h - fr.bottom + 15, "text-anchor": "middle", class: "tick" }, String(t));
    svg(g, "text", { x: (fr.left + fr.w - fr.right) / 2, y: fr.h - 6, "text-anchor": "middle", class: "title" }, xtitle);
    svg(g, "text", { x: 12, y: (fr.top + fr.h - fr.bottom) / 2, "text-anchor": "middle", class: "title",
      transform: `rotate(-90 12 ${(fr.top + fr.h - fr.bottom) / 2})` }, ytitle);
    return g;
  }
  function polyline(el, fr, xs, ys, cls) {
    const pts = xs.map((x, i) => `${fr.x(x).toFixed(1)},${fr.y(ys[i]).toFixed(1)}`).join(" ");
    return svg(el, "polyline", { points: pts, class: cls });
  }
  // a horizontal reference line with its label: at the right above the line, or (start) at the left below it
  function hline(el, fr, y, label, cls, start = false) {
    svg(el, "line", { x1: fr.left, x2: fr.w - fr.right, y1: fr.y(y), y2: fr.y(y), class: cls });
    const at = start ? { x: fr.left + 6, y: fr.y(y) + 12, "text-anchor": "start" } : { x: fr.w - fr.right - 4, y: fr.y(y) - 4, "text-anchor": "end" };
    svg(el, "text", { ...at, class: `${cls} label` }, label);
  }
  // a tick label on a log axis: 1, 10, 100, 1,000, 10,000, then 1e5, 1e6, …
  const logTick = (v) => (v >= 1e5 ? `1e${Math.round(Math.log10(v))}` : Lab.fmt(v));
  const pairTicks = (n) => { const s = niceStep(n / 6); const out = []; for (let t = 0; t < n; t += s) out.push(t); return out; };

  return { register, start, urlState, restore, read, write, svg, clear, frame, axes, polyline, hline, pairTicks };
})();
