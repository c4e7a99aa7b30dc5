// posenc lab, the quiz: one click per question, every option explained, a score at the end.
// Questions, answers and explanations are in the page (from learn/data/quiz.yaml); this only
// shows and counts. A finished attempt is sent to the lab, which grades it and keeps it in the progress
// file `posenc progress` shows (this browser keeps a copy as a cache); the completion-check ticks stay here.
"use strict";
(() => {
  const LAST = "posenc.quiz.last";
  const CHECKS = "posenc.quiz.checks";
  const questions = [...document.querySelectorAll(".mcq")];
  const status = document.getElementById("quiz-status");
  const result = document.getElementById("quiz-result");
  const chosen = new Map(); // question id -> the option's <li> that was clicked

  function answer(question, option) {
    const id = question.dataset.qid;
    if (chosen.has(id)) return; // one click per question
    chosen.set(id, option);
    const right = option.dataset.correct === "true";
    question.classList.add("answered", right ? "is-right" : "is-wrong");
    option.classList.add("chosen");
    option.querySelector(".yours").hidden = false;
    question.querySelectorAll(".option").forEach((o) => {
      o.querySelector("button").disabled = true;
      o.querySelector(".option-why").hidden = false;
    });
    const key = question.dataset.answer;
    question.querySelector(".feedback").textContent = right
      ? `Right: ${key}.`
      : `Not quite: you chose ${option.dataset.letter}, the answer is ${key}.`;
    question.querySelector(".feedback").className = `feedback ${right ? "good" : "bad"}`;
    question.querySelector(".read-more").hidden = false;
    update();
    // the chosen button is now disabled, so focus would fall to the page: it moves on to the next
    // question not yet answered (its first option), or to the score once all are answered
    const next = questions.slice(questions.indexOf(question) + 1).concat(questions)
      .find((q) => !chosen.has(q.dataset.qid));
    if (next) next.querySelector(".option button").focus();
    else { result.tabIndex = -1; result.focus(); }
  }

  function update() {
    const total = questions.length;
    const missed = questions.filter((q) => chosen.has(q.dataset.qid) && chosen.get(q.dataset.qid).dataset.correct !== "true");
    const right = chosen.size - missed.length;
    if (chosen.size < total) {
      status.textContent = `${chosen.size} of ${total} answered, ${right} right`;
      result.hidden = true;
      return;
    }
    status.textContent = `Done: ${right} of ${total} right. Your score and what to reread are below the questions.`;
    document.getElementById("quiz-score").textContent = `${right} of ${total} right.`;
    const ids = new Set(missed.map((q) => q.dataset.qid));
    document.querySelectorAll("#quiz-missed li").forEach((li) => { li.hidden = !ids.has(li.dataset.qid); });
    document.getElementById("quiz-missed-block").hidden = ids.size === 0;
    document.getElementById("quiz-perfect").hidden = ids.size !== 0;
    result.hidden = false;
    Lab.write(LAST, { right, total, missed: [...ids], when: new Date().toISOString() });
    const answers = {};
    questions.forEach((q) => { answers[q.dataset.qid] = chosen.get(q.dataset.qid).dataset.letter; });
    Progress.record("/api/progress/quiz", { answers }).then(showLast).catch((err) => {
      showLast();
      status.textContent += ` (Not saved in your progress: ${err.message}.)`;
    });
  }

  function retry() {
    chosen.clear();
    questions.forEach((q) => {
      q.classList.remove("answered", "is-right", "is-wrong");
      q.querySelector(".feedback").textContent = "";
      q.querySelector(".read-more").hidden = true;
      q.querySelectorAll(".option").forEach((o) => {
        o.classList.remove("chosen");
        o.querySelector("button").disabled = false;
        o.querySelector(".option-why").hidden = true;
        o.querySelector(".yours").hidden = true;
      });
    });
    update();
    questions[0].scrollIntoView({ block: "start" });
    questions[0].querySelector("button").focus({ preventScroll: true });
  }

  // the last finished attempt: the lab's progress file (a quiz taken here or in `posenc quiz`), else the cache
  function showLast() {
    const kept = Progress.state && Progress.state.quiz;
    const cached = Lab.read(LAST, null);
    const last = kept ? { right: kept.score, total: kept.asked, when: kept.when }
      : cached && typeof cached.right === "number" ? cached : null;
    const line = document.getElementById("quiz-last");
    if (!last) return;
    const when = new Date(last.when);
    const day = Number.isNaN(when.getTime()) ? "" : ` on ${when.toLocaleDateString()}`;
    const where = kept ? "kept in your progress (this lab or posenc quiz)" : "in this browser";
    line.textContent = `Your last finished attempt, ${where}${day}: ${last.right} of ${last.total} right.`;
    line.hidden = false;
  }

  questions.forEach((q) => {
    q.querySelectorAll(".option").forEach((o) => {
      o.querySelector("button").addEventListener("click", () => answer(q, o));
    });
  });
  document.getElementById("quiz-retry").addEventListener("click", retry);
  showLast();
  Progress.ready.then(showLast);

  // the completion check: ticks kept in this browser
  const ticked = new Set(Lab.read(CHECKS, []));
  document.querySelectorAll("#completion-check input[type=checkbox]").forEach((box) => {
    box.checked = ticked.has(box.dataset.check);
    box.addEventListener("change", () => {
      if (box.checked) ticked.add(box.dataset.check); else ticked.delete(box.dataset.check);
      Lab.write(CHECKS, [...ticked]);
    });
  });
})();
