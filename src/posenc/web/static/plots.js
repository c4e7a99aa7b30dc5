// Plotly pieces the lab's Plotly pages share (angle map, models, study): one config, one font and one way
// to draw (Plots.draw), so that the pages look alike and every chart fills its box at any width. The
// per-pair RoPE charts (explorer, inspector, the scaling note) are drawn without Plotly by ScalingCharts
// (static/widgets/scaling.js).
"use strict";
const Plots = (() => {
  // no `responsive`: Plots.draw gives each chart its box's width and redraws it when the box changes size
  const CONFIG = { displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const FONT = { family: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif", size: 12 };
  const NARROW = 640; // px: below it titles, legend entries and notes wrap, and the legend moves under the plot
  const CHAR = 0.6; // a character's mean width in em of this font (measured at 12 px: about 0.55)
  const charts = new Map(); // box -> { traces, layout, width }

  const visible = (html) => html.replace(/<[^>]+>/g, "");
  // Plotly's text is one line per <br>: break each line at spaces into lines of at most `chars` characters
  function wrap(text, chars) {
    if (typeof text !== "string") return text;
    return text.split(/<br\s*\/?>/i).map((line) => {
      const out = [];
      let current = "";
      for (const word of line.split(" ")) {
        const next = current ? `${current} ${word}` : word;
        if (current && visible(next).length > chars) { out.push(current); current = word; } else current = next;
      }
      out.push(current);
      return out.join("<br>");
    }).join("<br>");
  }
  const lines = (text) => (typeof text === "string" ? text.split("<br>").length : 1);
  const fits = (px, size) => Math.max(12, Math.floor(px / (size * CHAR)));

  // the layout and traces as drawn `width` px wide: on a narrow box the long texts wrap (their lines added
  // to the margins and the height) and the legend goes under the x axis, in room added
  // at the bottom (a row per entry at most); nothing is scaled down, so text keeps its size
  function narrow(traces, layout, width) {
    const margin = { l: 70, r: 20, t: 40, b: 50, ...layout.margin };
    const out = { ...layout, margin: { ...margin } };
    let height = layout.height || 450;
    const title = layout.title && layout.title.text;
    if (title) {
      const size = (layout.title.font && layout.title.font.size) || 17;
      const text = wrap(title, fits(width - 16, size));
      // from the top down, so that its extra lines never run into what sits above the plot
      const extra = lines(text) > lines(title) ? (lines(text) - lines(title)) * size * 1.3 + 6 : 0;
      // anchored at the top; Plotly sets a title's first line one line above that per extra line
      out.title = { ...layout.title, text, yref: "container", y: 1, yanchor: "top", pad: { t: 8 + extra } };
      out.margin.t += extra;
      height += extra;
    }
    const plotWidth = width - margin.l - margin.r;
    for (const key of Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k))) {
      const axis = layout[key], text = axis.title && axis.title.text;
      if (!text) continue;
      // an x title runs along the plot's width, a y title along its height (its lines push the margin)
      const [lo, hi] = axis.domain || [0, 1];
      const along = key[0] === "x" ? plotWidth : (height - out.margin.t - margin.b) * (hi - lo);
      const wrapped = wrap(text, fits(along - 8, FONT.size));
      out[key] = { ...axis, title: { ...axis.title, text: wrapped } };
      const extra = (lines(wrapped) - lines(text)) * FONT.size * 1.3;
      if (key[0] === "x") { out.margin.b += extra; height += extra; } else out.margin.l += extra;
    }
    if (layout.annotations) {
      out.annotations = layout.annotations.map((a) => {
        const size = (a.font && a.font.size) || FONT.size;
        // a note at a data point may start mid-plot: half the plot's width
        const room = a.xref !== "paper" ? plotWidth / 2 : plotWidth - 8;
        return { ...a, text: wrap(a.text, fits(room, size)) };
      });
      // a note above the plot gets a row of its own under the title, which now spans the whole width
      if (title && layout.annotations.some((a) => a.yref === "paper" && a.y >= 1 && a.yanchor === "bottom")) {
        out.margin.t += FONT.size * 1.3;
        height += FONT.size * 1.3;
      }
    }
    // a colour bar stays at the right; its title runs along the plot's height, in as few lines as fit
    const bar = traces.find((t) => t.colorbar && t.colorbar.title && t.colorbar.title.text);
    if (bar) {
      const title = { ...bar.colorbar.title, text: wrap(bar.colorbar.title.text, fits(height - out.margin.t - out.margin.b - 8, FONT.size)) };
      traces = traces.map((t) => (t === bar ? { ...t, colorbar: { ...t.colorbar, title } } : t));
    }
    const shown = traces.filter((t) => t.showlegend !== false && t.name);
    if (layout.showlegend === false || !shown.length || (shown.length === 1 && layout.showlegend === undefined)) {
      return [traces, { ...out, height }];
    }
    const chars = fits(width - 56, FONT.size);
    const named = traces.map((t) => (t.name ? { ...t, name: wrap(t.name, chars) } : t));
    // a horizontal legend's paper y was chosen for a wide plot: below the axis, in the room added here
    const entries = named.filter((t) => t.showlegend !== false && t.name);
    const room = entries.length * 19 + entries.reduce((n, t) => n + lines(t.name) - 1, 0) * 15 + 8;
    out.legend = { ...layout.legend, orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" };
    out.margin.b += layout.legend && layout.legend.orientation === "h" && layout.legend.y < 0 ? room - Math.max(0, margin.b - 60) : room;
    height += room;
    return [named, { ...out, height }];
  }

  function render(box) {
    const chart = charts.get(box);
    const width = Math.floor(box.getBoundingClientRect().width);
    if (!width) return; // hidden: drawn when it shows (the observer fires then)
    chart.width = width;
    const [traces, layout] = width < NARROW ? narrow(chart.traces, chart.layout, width) : [chart.traces, chart.layout];
    Plotly.react(box, traces, { ...layout, width, autosize: false }, CONFIG);
  }

  // one observer for every chart: a box that changes width is drawn again at its new width (after the
  // frame, so that drawing never resizes a box inside the observer's own callback)
  let pending = null;
  const observer = new ResizeObserver(() => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = null;
      for (const [box, chart] of charts) {
        if (!box.isConnected) { charts.delete(box); continue; }
        if (Math.abs(Math.floor(box.getBoundingClientRect().width) - chart.width) >= 1) render(box);
      }
    });
  });

  // draw `traces` with `layout` (no width: the chart takes its box's) into the element `box` (or its id)
  function draw(box, traces, layout) {
    const element = typeof box === "string" ? document.getElementById(box) : box;
    if (!charts.has(element)) observer.observe(element);
    charts.set(element, { traces, layout, width: 0 });
    render(element);
  }

  return { CONFIG, FONT, draw, wrap };
})();
