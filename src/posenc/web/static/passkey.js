// The models page's live passkey view: every number comes from POST /api/models/passkey
// (posenc.evaluate.passkey_view); this script reads the sliders and draws the answers.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  if (!$("passkey-form") || !window.ModelQueue) return;
  const { schedule, done, fail, clear, data } = window.ModelQueue;
  const MULTIPLES = JSON.parse($("passkey-form").dataset.multiples);
  const L = Number($("passkey-form").dataset.trainLength);
  const pk = { key: $("pk-key"), length: $("pk-length"), depth: $("pk-depth"), seed: $("pk-seed") };
  const pct = (v) => `${Math.round(v * 100)}%`;
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

  function labels() {
    const m = MULTIPLES[Number(pk.length.value)];
    $("pk-length-out").textContent = `${m} × L = ${(m * L).toLocaleString("en-US")} bytes`;
    pk.length.setAttribute("aria-valuetext", `${m} times L, ${m * L} bytes`);
    const d = Number(pk.depth.value);
    const where = d === 0 ? "at the start" : d === 1 ? "at the end, just before the question" : `${pct(d)} of the way in`;
    $("pk-depth-out").textContent = where;
    pk.depth.setAttribute("aria-valuetext", where);
  }

  // the strongest head's weights from the question over every position, the key line shaded
  function strip(a, d) {
    const n = a.row.length, W = 600, H = 70, max = Math.max(...a.row, 1e-9);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "pk-strip");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${a.label}: attention of layer ${a.layer} head ${a.head} from the question over the ${n} bytes; ${pct(a.key_mass)} on the key line`);
    const x = (i) => (i / Math.max(1, n - 1)) * W;
    const [k0, k1] = d.key_line;
    const band = document.createElementNS(svg.namespaceURI, "rect");
    band.setAttribute("x", x(k0)); band.setAttribute("width", Math.max(2, x(k1) - x(k0)));
    band.setAttribute("y", 0); band.setAttribute("height", H); band.setAttribute("class", "pk-keyband");
    svg.append(band);
    const path = document.createElementNS(svg.namespaceURI, "path");
    let dpath = `M0 ${H}`;
    a.row.forEach((w, i) => { dpath += ` L${x(i).toFixed(1)} ${(H - (w / max) * (H - 4)).toFixed(1)}`; });
    path.setAttribute("d", dpath + ` L${W} ${H} Z`);
    path.setAttribute("class", "pk-area");
    svg.append(path);
    return svg;
  }

  function draw(d) {
    $("pk-facts").textContent = `Key ${d.key} hidden ${pct(d.depth)} of the way into ${d.length.toLocaleString("en-US")} bytes of held-out code `
      + `(${d.multiple} × the training length L = ${d.train_length}); the key line is bytes ${d.key_line[0]}–${d.key_line[1] - 1}, the question is the last line.`;
    const cards = d.answers.map((a) => {
      const card = el("article", "pk-card");
      card.dataset.model = a.model;
      card.append(el("h3", null, a.label));
      if (a.na) { card.append(el("p", "note", a.na)); return card; }
      const digits = el("p", "pk-digits");
      digits.setAttribute("aria-label", `answer ${a.digits.join("")}, ${a.exact ? "correct" : "wrong"}`);
      a.digits.forEach((ch, i) => {
        const box = el("span", `pk-digit ${a.correct[i] ? "hit" : "miss"}`);
        box.append(el("b", null, ch), el("small", null, `p ${a.probs[i].toFixed(2)}`));
        box.title = `digit ${i + 1}: ${ch} (${a.correct[i] ? "right" : `the key has ${d.key[i]}`}), probability ${a.probs[i].toFixed(3)}`;
        digits.append(box);
      });
      digits.append(el("span", `pk-verdict ${a.exact ? "hit" : "miss"}`, a.exact ? "✓ all 5 right" : `✗ ${a.correct.filter(Boolean).length} of 5 right`));
      card.append(digits);
      const m = a.measured;
      card.append(el("p", "facts", m
        ? `The study: ${pct(m.accuracy)} exact${m.trials ? ` of ${m.trials} trials` : ""} at ${m.multiple} × L, key at depth ${m.depth}${m.depth !== d.depth ? " (the nearest it measured)" : ""}.`
        : "The study measured nothing for this model at this length."));
      if (m && m.learned === 0) {
        card.append(el("p", "facts pk-not-learned", "This model never learned to copy at L in training (it did not pass " +
          "the study's check before its cap): its answers show failed training, not extrapolation, and the study " +
          "leaves it out of its retrieval figures."));
      }
      card.append(el("p", "facts", `Strongest head on the key line: layer ${a.layer}, head ${a.head}, ${pct(a.key_mass)} of its attention there (shaded band).`));
      card.append(strip(a, d));
      card.append(el("p", "pk-axis", `byte 0 … ${a.row.length - 1} (the question), left to right`));
      return card;
    });
    $("pk-answers").replaceChildren(...cards);
  }

  function request() {
    labels();
    if (!/^[0-9]{5}$/.test(pk.key.value)) {
      fail("pk-error", { message: "key must be 5 digits, e.g. 48213" }, "passkey");
      return;
    }
    schedule("passkey", async () => {
      try {
        const d = await Lab.post("/api/models/passkey", {
          run: data.run, key: pk.key.value, depth: Number(pk.depth.value),
          multiple: MULTIPLES[Number(pk.length.value)], seed: Number(pk.seed.value),
        });
        clear("pk-error", "passkey");
        draw(d);
        done("passkey");
      } catch (err) {
        fail("pk-error", err, "passkey");
        if (err.status === 429) setTimeout(request, 1000);
      }
    });
  }

  let timer;
  const soon = () => { labels(); clearTimeout(timer); timer = setTimeout(request, 250); };
  for (const input of [pk.length, pk.depth, pk.key]) input.addEventListener("input", soon);
  $("pk-other").addEventListener("click", () => { pk.seed.value = String((Number(pk.seed.value) + 1) % 1000); request(); });
  $("passkey-form").addEventListener("submit", (e) => { e.preventDefault(); request(); });
  labels();
  request();
})();
