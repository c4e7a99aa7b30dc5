// posenc lab: run an experiment or the study as a job and follow its progress (server-sent events).
// A panel is any element with data-job-panel; its buttons carry the job to start as JSON (data-job).
// On load the panel asks the lab for the current job: a running job of this page is followed again
// (a reload loses nothing), one of another page is named with a link to it.
"use strict";
const Jobs = (() => {
  const part = (panel, cls) => panel.querySelector("." + cls);
  const show = (el, on) => { if (el) el.hidden = !on; };
  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function setBusy(panel, busy) {
    panel.querySelectorAll(".job-run").forEach((b) => { b.disabled = busy; });
    show(part(panel, "job-cancel"), busy);
  }

  function progress(panel, fraction, message) {
    const bar = panel.querySelector(".progress-bar");
    if (!bar) return;
    const pct = Math.round(100 * fraction);
    bar.firstElementChild.style.width = `${pct}%`;
    bar.setAttribute("aria-valuenow", String(pct));
    part(panel, "job-message").textContent = `${pct}% · ${message}`;
  }

  function fail(panel, message) {
    const box = part(panel, "job-error");
    if (box) { box.textContent = message; show(box, true); }
  }

  // follow job `job` until it ends; `after`: the last event already shown
  function follow(panel, job) {
    setBusy(panel, true);
    show(part(panel, "job-error"), false);
    show(part(panel, "job-other"), false);
    show(part(panel, "job-status"), true);
    show(panel.querySelector(".progress-bar"), true);
    progress(panel, job.fraction || 0, job.message || "starting");
    panel.dataset.jobId = job.id;
    const source = new EventSource(`/api/jobs/${job.id}/events`);
    let ended = false;
    source.addEventListener("progress", (e) => { const ev = JSON.parse(e.data); progress(panel, ev.fraction, ev.message); });
    source.addEventListener("done", (e) => {
      ended = true; source.close();
      const ev = JSON.parse(e.data);
      progress(panel, 1, `finished in ${ev.seconds} s; loading the results`);
      const target = panel.dataset.doneUrl || location.pathname;
      location.assign(`${target}${target.includes("?") ? "&" : "?"}job=${job.id}${panel.dataset.doneHash || "#result"}`);
    });
    source.addEventListener("error", (e) => {
      if (e.data) {  // the job's own error event (not a connection problem)
        ended = true; source.close();
        setBusy(panel, false); show(part(panel, "job-status"), false);
        fail(panel, `The job failed: ${JSON.parse(e.data).message}`);
      } else if (!ended && source.readyState === EventSource.CLOSED) {
        setBusy(panel, false);
        fail(panel, "Lost the connection to the lab. Is `posenc lab` still running? Reload the page to follow the job again.");
      }
    });
    source.addEventListener("cancelled", () => {
      ended = true; source.close();
      setBusy(panel, false);
      show(panel.querySelector(".progress-bar"), false);
      part(panel, "job-message").textContent = "Cancelled. The results folder keeps what was written before.";
    });
  }

  async function start(panel, button) {
    show(part(panel, "job-error"), false);
    try {
      const answer = await Lab.post("/api/jobs", JSON.parse(button.dataset.job));
      follow(panel, answer.job);
    } catch (err) {
      fail(panel, err.message);
    }
  }

  async function cancel(panel) {
    const id = panel.dataset.jobId;
    if (!id) return;
    try { await Lab.post(`/api/jobs/${id}/cancel`, {}); }
    catch (err) { fail(panel, err.message); }
  }

  async function init(panel) {
    panel.querySelectorAll(".job-run").forEach((b) => b.addEventListener("click", () => start(panel, b)));
    const stop = part(panel, "job-cancel");
    if (stop) stop.addEventListener("click", () => cancel(panel));
    let job = null;
    try { job = (await Lab.api("/api/jobs/current")).job; } catch (err) { return; }
    if (!job || job.state !== "running") return;
    if (job.page === panel.dataset.page && panel.querySelector(".job-run")) { follow(panel, job); return; }
    const other = part(panel, "job-other");
    if (!other) return;
    other.textContent = `Running now: ${job.label}, started at ${clock(job.started)} (${Math.round(100 * job.fraction)}%). `;
    if (job.page) {
      const link = document.createElement("a");
      link.href = job.page; link.textContent = "Follow it on its page";
      other.append(link, ". One job runs at a time.");
    }
    show(other, true);
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-job-panel]").forEach(init));
  return { follow, init };
})();
