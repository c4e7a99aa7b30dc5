// Plotly pieces the lab's Plotly pages share (angle map, models, study): one config and one font, so that
// the pages look alike. The per-pair RoPE charts (explorer, inspector, the scaling note) are drawn without
// Plotly by ScalingCharts (static/widgets/scaling.js).
"use strict";
const Plots = (() => {
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const FONT = { family: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif", size: 12 };
  return { CONFIG, FONT };
})();
