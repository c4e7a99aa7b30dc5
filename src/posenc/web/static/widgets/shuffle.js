// The why-position demo (templates/widgets/shuffle.html): numbers from /api/shuffle
// (posenc.experiments.exp1_why_position.shuffled_outputs); this script only draws them.
"use strict";
Widgets.register("shuffle", (root, w) => {
  const input = (name) => root.querySelector(`[name="${name}"]`);
  const words = () => input("sentence").value.toLowerCase().split(/\s+/).filter(Boolean);
  const identity = (n) => [...Array(n).keys()];
  function order() {
    const n = words().length, raw = input("order").value;
    const o = raw ? raw.split(",").map(Number) : identity(n);
    return o.length === n && [...o].sort((a, b) => a - b).every((v, i) => v === i) ? o : identity(n);
  }
  function setOrder(o) { input("order").value = o.join(","); w.refresh(); }

  function strip(svgEl, values) {
    Widgets.clear(svgEl);
    const top = Math.max(...values.map(Math.abs), 1e-9), width = 320 / values.length;
    values.forEach((v, i) => {
      const a = Math.min(Math.abs(v) / top, 1);
      const color = v >= 0 ? `rgba(194,65,12,${a.toFixed(3)})` : `rgba(47,95,208,${a.toFixed(3)})`;
      Widgets.svg(svgEl, "rect", { x: i * width, y: 0, width: width - 0.5, height: 16, fill: color });
    });
  }
  function chips(el, list, positions, token) {
    el.replaceChildren(...list.map((word, k) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "word"; b.textContent = word; b.dataset.push = "";
      b.dataset.index = positions[k];
      if (positions[k] === token) b.classList.add("followed");
      b.addEventListener("click", () => { input("token").value = positions[k]; w.refresh(); });
      return b;
    }));
  }

  async function refresh() {
    const o = order(), ws = words();
    const token = Math.min(Number(input("token").value) || 0, ws.length - 1);
    const q = new URLSearchParams({ sentence: ws.join(" "), order: o.join(","), token });
    const d = await w.fetch(`/api/shuffle?${q}`);
    if (!d) return;
    chips(w.part("words"), d.words, identity(d.words.length), d.token);
    chips(w.part("shuffled"), d.shuffled, d.order, d.token);
    w.part("followed").textContent = `“${d.words[d.token]}”`;
    for (const [name, e] of Object.entries(d.encodings)) {
      strip(w.part(`${name}-before`), e.before);
      strip(w.part(`${name}-after`), e.after);
      w.part(`${name}-diff`).textContent = Lab.fmt(e.max_diff, 2);
      const verdict = w.part(`${name}-verdict`);
      verdict.textContent = e.same ? "same" : "changed";
      verdict.className = e.same ? "good" : "bad";
      verdict.title = e.same ? `below ${d.tolerance}: float32 round-off` : "";
    }
  }
  w.refresh = refresh;

  w.part("shuffle").addEventListener("click", () => {
    const n = words().length, o = identity(n), before = order().join(",");
    for (let tries = 0; tries < 10; tries++) {
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [o[i], o[j]] = [o[j], o[i]]; }
      if (o.join(",") !== before && o.join(",") !== identity(n).join(",")) break;
    }
    setOrder(o);
  });
  w.part("reverse").addEventListener("click", () => setOrder(identity(words().length).reverse()));
  w.part("reset").addEventListener("click", () => setOrder(identity(words().length)));
  input("sentence").addEventListener("change", () => { input("order").value = ""; input("token").value = 1; });
  root.addEventListener("submit", (e) => e.preventDefault());
  return refresh;
});
