// posenc lab, one exercise: the starting file in a code editor (CodeMirror, static/vendor/), "Check" sends
// it to the lab, which runs the checker of `posenc exercise check` and records the result in your
// progress; the report comes back as text and is shown as text (never as markup). The draft is kept in
// this browser (a cache: "Forget my progress" clears it too).
"use strict";
(() => {
  const box = document.getElementById("editor");
  const name = box.dataset.exercise;
  const DRAFT = `posenc.exercise.draft.${name}`;
  const start = JSON.parse(document.getElementById("exercise-start").textContent);
  const status = document.getElementById("check-status");
  const button = document.getElementById("check");
  const editor = PosencEditor.create(box, Lab.read(DRAFT, start), {
    label: `Your ${box.dataset.function}.py`,
    onChange: (text) => Lab.write(DRAFT, text),
  });
  const $ = (id) => document.getElementById(id);

  function show(result) {
    const verdict = $("check-verdict");
    verdict.textContent = result.passed
      ? `Passed: all ${result.of} cases pass. It is kept in your progress.`
      : result.problem ? `Not checked: ${result.problem}` : `${result.score} of ${result.of} cases pass.`;
    verdict.className = `check-verdict ${result.passed ? "good" : "bad"}`;
    const hints = [...new Set([...result.cases.flatMap((c) => c.hints), ...result.hints])];
    const list = $("check-hints");
    list.replaceChildren(...hints.map((text) => { const li = document.createElement("li"); li.textContent = text; return li; }));
    $("check-hints-block").hidden = hints.length === 0;
    $("check-report").textContent = result.report;
    $("check-next").hidden = !result.passed;
    $("check-result").hidden = false;
    status.textContent = result.passed ? "All cases pass." : "Some cases fail: see the report below.";
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Checking… every case runs in a fresh process (a few seconds).";
    try {
      show(await Lab.post(`/api/exercises/${encodeURIComponent(name)}/check`, { code: editor.get() }));
    } catch (err) {
      status.textContent = `The check did not run: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });

  const confirmBox = $("start-over-confirm");
  $("start-over").addEventListener("click", () => { confirmBox.hidden = false; $("start-over-no").focus(); });
  $("start-over-no").addEventListener("click", () => { confirmBox.hidden = true; $("start-over").focus(); });
  $("start-over-yes").addEventListener("click", () => {
    editor.set(start);
    localStorage.removeItem(DRAFT);
    confirmBox.hidden = true;
    editor.focus();
  });
})();
