// Frequency explorer: numbers from /api/frequencies (posenc.encodings.rope.frequencies); this script only draws,
// with the scaling note's charts (ScalingCharts, static/widgets/scaling.js).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("explorer-form");
  const types = JSON.parse($("explorer-types").textContent); // rope_type -> the parameters it reads
  let latest = 0;

  function show(d) {
    $("explorer-error").hidden = true;
    $("method-note").textContent = d.note;
    $("attention-factor").textContent = Lab.fmt(d.attention_factor);
    $("longest").textContent = `${Lab.fmt(d.longest_wavelength_plain)} → ${Lab.fmt(d.longest_wavelength_scaled)}`;
    $("counts").textContent = `${d.counts.untouched} / ${d.counts.divided_by_factor} / ${d.counts.between}`;
    $("config-json").textContent = JSON.stringify(d.config, null, 2);
    const rows = $("pair-rows");
    rows.replaceChildren(...d.pairs.map((i) => {
      const tr = document.createElement("tr");
      for (const v of [i, Lab.fmt(d.inv_freq_plain[i]), Lab.fmt(d.inv_freq_scaled[i]), Lab.fmt(d.wavelength_plain[i]),
        Lab.fmt(d.wavelength_scaled[i]), Lab.fmt(d.scale[i])]) {
        const td = document.createElement("td"); td.className = "num"; td.textContent = v; tr.appendChild(td);
      }
      return tr;
    }));
    ScalingCharts.draw($("wavelength-plot"), $("scale-plot"), ScalingCharts.fromFrequencies(d)); // the note's charts
  }

  async function update(query) {
    const mine = ++latest;
    try {
      const d = await Lab.api(`/api/frequencies?${query}`);
      if (mine !== latest) return; // a newer request is on its way
      show(d);
      document.body.dataset.ready = String(mine);
    } catch (err) {
      if (mine !== latest) return;
      $("explorer-error").textContent = err.message;
      $("explorer-error").hidden = false;
    }
  }

  Widgets.urlState(form); // the settings live in the URL: a reload keeps them, a link shares them
  Lab.ropeForm(form, types, update);
})();
