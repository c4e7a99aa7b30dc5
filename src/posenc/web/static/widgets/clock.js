// The clock (templates/widgets/clock.html): each hand is a pair of RoPE; angles from /api/clock
// (posenc.encodings.rope.frequencies and cos_sin); this script only draws them.
"use strict";
Widgets.register("clock", (root, w) => {
  const COLORS = ["#c2410c", "#2f5fd0", "#1f7a3a", "#7c3aed"];
  const LENGTHS = [100, 78, 56, 40];
  const position = root.querySelector('[name="position"]');
  function step(delta) {
    const v = Math.min(Math.max(Number(position.value) + delta, 0), Number(position.max));
    position.value = v; refresh();
  }
  async function refresh() {
    const s = w.state();
    w.part("position-out").textContent = s.position;
    const q = new URLSearchParams({ head_dim: s.head_dim, base: s.base, position: s.position, pairs: s.pairs });
    const d = await w.fetch(`/api/clock?${q}`);
    if (!d) return;
    const el = w.part("clock");
    Widgets.clear(el);
    Widgets.svg(el, "circle", { cx: 0, cy: 0, r: 110, class: "face" });
    for (let k = 0; k < 12; k++) {
      const a = (k / 12) * 2 * Math.PI;
      Widgets.svg(el, "line", { x1: 100 * Math.sin(a), y1: -100 * Math.cos(a), x2: 108 * Math.sin(a), y2: -108 * Math.cos(a), class: "tick" });
    }
    const rows = [];
    d.hands.forEach((h, k) => {
      // angle 0 points up (12 o'clock) and grows clockwise, as on a clock face
      const a = (h.angle_degrees * Math.PI) / 180, len = LENGTHS[k % LENGTHS.length];
      Widgets.svg(el, "line", { x1: 0, y1: 0, x2: len * Math.sin(a), y2: -len * Math.cos(a), stroke: COLORS[k % 4], class: "hand" });
      const tr = document.createElement("tr");
      for (const [v, cls] of [[`pair ${h.pair}`, ""], [Lab.fmt(h.degrees_per_token, 4), "num"], [Lab.fmt(h.wavelength, 4), "num"], [`${Lab.fmt(h.angle_degrees, 4)}°`, "num"]]) {
        const td = document.createElement("td"); td.textContent = v; if (cls) td.className = cls; tr.appendChild(td);
      }
      tr.firstChild.style.color = COLORS[k % 4];
      tr.dataset.pair = h.pair;
      rows.push(tr);
    });
    Widgets.svg(el, "circle", { cx: 0, cy: 0, r: 4, class: "hub" });
    w.part("hands").replaceChildren(...rows);
    const ratios = d.ratios.map((r, k) => `pair ${d.hands[k + 1].pair} is ${Lab.fmt(r, 4)} times slower than pair ${d.hands[k].pair}`).join("; ");
    w.part("ratio").textContent = `${ratios}. Neighbouring pairs differ by ${Lab.fmt(d.neighbour_ratio, 4)} = base^(2/d) at head_dim ${d.head_dim}.`;
  }
  w.part("step").addEventListener("click", () => step(1));
  w.part("step-back").addEventListener("click", () => step(-1));
  root.addEventListener("submit", (e) => e.preventDefault());
  return refresh;
});
