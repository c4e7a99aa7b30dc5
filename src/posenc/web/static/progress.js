// posenc lab: the learner's progress. The lab keeps it in the file `posenc progress` reads and writes
// (GET /api/progress, web/learn_pages.py): shared with the terminal, the same whatever port the lab runs
// on or whichever browser opens it. This script shows it and says when this page's step is done:
//   a note     when its last paragraph has been on screen (and the page open a few seconds)
//   experiment when the page shows its results (the lab checks that results.json exists)
//   a tool     when one of its controls is used (a real click or input, not a page's own set-up)
// The quiz, the grill and the exercises are recorded by their own scripts (answered, graded, passed).
"use strict";
const Progress = (() => {
  const MIN_SECONDS = 3; // a note is not read in less, whatever the scroll position
  const OWN_SCRIPTS = new Set(["quiz", "grill", "exercises"]);
  const stepKey = (s) => (["note", "experiment"].includes(s.kind) ? `${s.kind}:${s.id}` : s.kind);
  let state = null;

  function set(data) { state = data; paint(); return data; }
  // the progress as the lab has it (null when the lab cannot be reached)
  const ready = Lab.api("/api/progress").then(set).catch(() => null);
  // POST to one of the progress routes; resolves to the progress after it
  const record = (url, body) => Lab.post(url, body).then(set);
  const isDone = (key) => Boolean(state && state.steps.includes(key));
  const done = (key) => (isDone(key) ? Promise.resolve(state) : record("/api/progress/step", { key }));

  function paint() {
    const seen = new Set(state.steps);
    // off-path pages: "Next" resumes at the first step not done yet
    const link = document.getElementById("next-link");
    if (link && link.dataset.resume) {
      const first = Lab.steps.find((s) => !seen.has(stepKey(s)));
      if (first) { link.href = first.url; link.textContent = `Next: ${first.number}. ${first.title} →`; }
    }
    document.querySelectorAll("[data-key]").forEach((el) => { el.classList.toggle("done", seen.has(el.dataset.key)); });
    const line = document.getElementById("path-progress");
    if (line) {
      const count = Lab.steps.filter((s) => seen.has(stepKey(s))).length;
      line.textContent = `${count} of ${Lab.steps.length} steps done`;
    }
  }

  function watchNote(key) {
    const article = document.querySelector("article.note");
    const last = article && article.lastElementChild;
    if (!last || !("IntersectionObserver" in window)) return;
    const opened = performance.now();
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      const wait = Math.max(0, MIN_SECONDS * 1000 - (performance.now() - opened));
      setTimeout(() => { done(key).catch(() => {}); }, wait);
    });
    observer.observe(last);
  }

  function watchTool(key) {
    const main = document.getElementById("main");
    if (!main) return;
    const used = (event) => {
      if (!event.isTrusted) return; // a page setting its own controls up is not the learner using them
      if (event.type === "click" && !event.target.closest("button, summary, [role=button], input, select")) return;
      ["input", "change", "click"].forEach((type) => main.removeEventListener(type, used, true));
      done(key).catch(() => {});
    };
    ["input", "change", "click"].forEach((type) => main.addEventListener(type, used, true));
  }

  function forgetting() {
    const ask = document.getElementById("reset-progress");
    if (!ask) return;
    const box = document.getElementById("forget-confirm");
    const said = document.getElementById("forget-done");
    const close = () => { box.hidden = true; ask.setAttribute("aria-expanded", "false"); };
    ask.addEventListener("click", () => {
      box.hidden = false;
      ask.setAttribute("aria-expanded", "true");
      said.textContent = "";
      document.getElementById("forget-no").focus();
    });
    document.getElementById("forget-no").addEventListener("click", () => { close(); ask.focus(); });
    document.getElementById("forget-yes").addEventListener("click", async () => {
      try {
        await record("/api/progress/forget", { confirm: true });
        // what this browser kept (caches, drafts, flashcards) goes too
        Object.keys(localStorage).filter((k) => k.startsWith("posenc.")).forEach((k) => localStorage.removeItem(k));
        said.textContent = "Forgotten: the path, the quiz, the grill and the exercises start again.";
      } catch (err) {
        said.textContent = `Not forgotten: ${err.message}`;
      }
      close();
      ask.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const here = document.body.dataset.pathKey;
    forgetting();
    if (!here || OWN_SCRIPTS.has(here)) return;
    if (here.startsWith("note:")) watchNote(here);
    else if (here.startsWith("experiment:")) { if (document.querySelector("#result .summary")) ready.then(() => done(here)).catch(() => {}); }
    else watchTool(here);
  });
  return { ready, record, done, isDone, get state() { return state; } };
})();
