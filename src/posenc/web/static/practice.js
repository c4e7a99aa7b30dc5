// posenc lab, practice: the flashcard deck. One card at a time; click it (or Flip) to see the back,
// then "Again" (the card comes back a few cards later) or "Got it" (done for this session).
// The cards are in the page (from learn/data/cards.yaml). Which cards needed "again" in their latest
// session is kept in this browser ("posenc.cards.missed", card numbers); they come first next time.
"use strict";
(() => {
  const KEY = "posenc.cards.missed";
  const deck = document.getElementById("deck");
  const later = Number(deck.dataset.againLater) || 3;
  const cards = new Map([...deck.querySelectorAll(".card")].map((c) => [c.dataset.card, c]));
  const status = document.getElementById("deck-status");
  const actions = document.getElementById("deck-actions");
  const flipButton = document.getElementById("card-flip");
  const againButton = document.getElementById("card-again");
  const gotButton = document.getElementById("card-got");
  const done = document.getElementById("deck-done");

  const stored = Lab.read(KEY, []);
  const missed = new Set((Array.isArray(stored) ? stored : []).map(String).filter((id) => cards.has(id)));
  let queue = [];
  let againThisSession = new Set();
  let finished = 0;
  let flipped = false;

  const save = () => Lab.write(KEY, [...missed].sort((a, b) => Number(a) - Number(b)));
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function start() {
    const ids = [...cards.keys()];
    queue = [...ids.filter((id) => missed.has(id)), ...ids.filter((id) => !missed.has(id))];
    againThisSession = new Set();
    finished = 0;
    done.hidden = true;
    actions.hidden = false;
    flipButton.disabled = false;
    const first = missed.size === 1 ? "comes" : "come";
    show(missed.size ? `${plural(missed.size, "card")} you marked again last time ${first} first. ` : "");
  }

  function show(prefix = "") {
    const current = queue[0];
    flipped = false;
    cards.forEach((card, id) => {
      card.classList.toggle("current", id === current);
      card.classList.remove("flipped");
      card.querySelector(".front").setAttribute("aria-hidden", "false");
      card.querySelector(".back").setAttribute("aria-hidden", "true");
    });
    if (current === undefined) { finish(); return; }
    againButton.disabled = gotButton.disabled = true;
    flipButton.textContent = "Flip";
    status.textContent = `${prefix}Card ${current}: ${finished} done, ${queue.length} to go in this session.`;
  }

  function flip() {
    const card = cards.get(queue[0]);
    if (!card) return;
    flipped = !flipped;
    card.classList.toggle("flipped", flipped);
    card.querySelector(".front").setAttribute("aria-hidden", String(flipped));
    card.querySelector(".back").setAttribute("aria-hidden", String(!flipped));
    flipButton.textContent = flipped ? "Flip back" : "Flip";
    againButton.disabled = gotButton.disabled = false; // graded once the back has been seen
  }

  function again() {
    if (!queue.length) return;
    const id = queue.shift();
    missed.add(id);
    againThisSession.add(id);
    save();
    queue.splice(Math.min(later, queue.length), 0, id); // back a few cards later
    show(`Card ${id} comes back ${queue.length > later ? `${later} cards later` : "at the end"}. `);
  }

  function got() {
    if (!queue.length) return;
    const id = queue.shift();
    if (!againThisSession.has(id)) missed.delete(id); // needed no "again" this session
    save();
    finished += 1;
    show();
  }

  function finish() {
    actions.hidden = true;
    flipButton.disabled = againButton.disabled = gotButton.disabled = true;  // no card left to act on
    const again = [...againThisSession].sort((a, b) => Number(a) - Number(b));
    document.getElementById("deck-done-text").textContent = again.length
      ? `Session done: all ${cards.size} cards. You marked ${plural(again.length, "card")} again ` +
        `(${again.map((id) => `card ${id}`).join(", ")}); they come first next time.`
      : `Session done: all ${cards.size} cards, none needed a second go.`;
    done.hidden = false;
    status.textContent = "Session done.";
  }

  deck.classList.add("interactive");
  deck.addEventListener("click", (event) => {
    if (event.target.closest("a")) return; // a link on a card still works
    if (event.target.closest(".card.current")) flip();
  });
  flipButton.addEventListener("click", flip);
  againButton.addEventListener("click", again);
  gotButton.addEventListener("click", got);
  document.getElementById("deck-restart").addEventListener("click", start);
  document.getElementById("deck-again-all").addEventListener("click", start);
  document.getElementById("print-cards").addEventListener("click", () => window.print());
  start();
})();
