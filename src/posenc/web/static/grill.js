// posenc lab, the interview grill: reveal a model answer, grade yourself, see the score.
// Questions, answers and bands are in the page (from learn/data/grill.yaml). Grades, { "D3": true,
// "E5": false, ... } (true = got it), are sent to the lab, which keeps them in the progress file that
// `posenc progress` shows (with each section's score, and the band of a full grill); this browser keeps a
// copy as a cache. The score counts only graded questions; a band is given only when every question of
// the grill is graded.
"use strict";
(() => {
  const KEY = "posenc.grill.grades";
  const data = JSON.parse(document.getElementById("grill-data").textContent);
  const allIds = Object.values(data.sections).flat();
  const known = new Set(allIds);
  const stored = Lab.read(KEY, {});
  const grades = {};
  const adopt = (source) => {
    for (const id of Object.keys(grades)) delete grades[id];
    for (const [id, got] of Object.entries(source && typeof source === "object" ? source : {})) {
      if (known.has(id) && typeof got === "boolean") grades[id] = got; // questions that no longer exist drop out
    }
  };
  adopt(stored);
  // every change goes to the lab, one request after another, each with the grades as they are when it leaves
  let sending = Promise.resolve();
  let touched = false; // graded or cleared since the page loaded
  const save = () => {
    touched = true;
    Lab.write(KEY, grades);
    sending = sending.then(() => Progress.record("/api/progress/grill", { grades: { ...grades } })).catch(() => {});
  };

  function reveal(article, button) {
    const answer = article.querySelector(".model-answer");
    answer.hidden = !answer.hidden;
    button.setAttribute("aria-expanded", String(!answer.hidden));
    button.textContent = answer.hidden ? "Reveal the model answer" : "Hide the model answer";
  }

  function grade(article, got) {
    grades[article.dataset.qid] = got;
    save();
    article.querySelector(".grade-feedback").textContent = got ? "Counted as got it." : "Counted as missed.";
    render();
  }

  function render() {
    document.querySelectorAll(".grill-q").forEach((article) => {
      const g = grades[article.dataset.qid];
      article.classList.toggle("graded-got", g === true);
      article.classList.toggle("graded-missed", g === false);
      article.querySelector(".got").setAttribute("aria-pressed", String(g === true));
      article.querySelector(".missed-button").setAttribute("aria-pressed", String(g === false));
      article.querySelector(".graded-mark").textContent = g === true ? "✓ got it" : g === false ? "✗ missed" : "";
    });
    const graded = allIds.filter((id) => id in grades);
    const got = graded.filter((id) => grades[id]).length;
    document.getElementById("grill-score").textContent = graded.length
      ? `Score: ${got} of the ${graded.length} question${graded.length === 1 ? "" : "s"} you graded.`
      : "No questions graded yet.";
    const full = graded.length === data.total;
    document.getElementById("grill-status-text").textContent = graded.length
      ? (full ? `: ${got} of ${data.total}; your band is at the end of the page.`
        : ` so far: ${got} of the ${graded.length} you graded got it; a band needs all ${data.total}.`)
      : " is at the end of the page.";
    document.getElementById("grill-coverage").textContent = full
      ? `All ${data.total} answered: your band is below.`
      : `${graded.length} of ${data.total} answered; a band needs the full grill.`;
    document.querySelectorAll(".band").forEach((band) => {
      band.hidden = !(full && Number(band.dataset.min) <= got && got <= Number(band.dataset.max));
    });
    let missed = 0;
    document.querySelectorAll("#grill-missed li").forEach((li) => {
      li.hidden = grades[li.dataset.qid] !== false;
      missed += li.hidden ? 0 : 1;
    });
    document.getElementById("grill-missed-block").hidden = missed === 0;
    document.querySelectorAll(".chip .count").forEach((span) => {
      const ids = span.dataset.count === "all" ? allIds : data.sections[span.dataset.count] || [];
      const done = ids.filter((id) => id in grades).length;
      span.textContent = done ? `${done}/${ids.length}` : "";
      span.title = `${done} of ${ids.length} questions graded`;
    });
  }

  document.querySelectorAll(".grill-q").forEach((article) => {
    const button = article.querySelector(".reveal");
    button.addEventListener("click", () => reveal(article, button));
    article.querySelector(".got").addEventListener("click", () => grade(article, true));
    article.querySelector(".missed-button").addEventListener("click", () => grade(article, false));
  });
  document.getElementById("grill-clear").addEventListener("click", () => {
    for (const id of Object.keys(grades)) delete grades[id];
    save();
    document.querySelectorAll(".grade-feedback").forEach((s) => { s.textContent = ""; });
    render();
  });
  render();
  // the grades the lab keeps (graded here before, in another browser, or in `posenc grill`) replace the cache
  // (a grade given before they arrived is kept and sent)
  Progress.ready.then((data) => {
    if (!data || !data.grill) return;
    if (touched) { adopt({ ...data.grill.grades, ...grades }); save(); } else { adopt(data.grill.grades); Lab.write(KEY, grades); }
    render();
  });
})();
