// The linked picture's browser side: draws x, y, dL/dy and dL/dx from the server's payload
// (figures/linked.py) with plotly.js, and highlights windows on hover without a round trip.
// plotly.js draws only the coloured cells (a heatmap); numbers, borders, indices and marks are an SVG overlay.
// Until plotly.js has loaded (or if it cannot), the overlay colours the cells itself, with the same scales.
// No pooling here: which cells form a window, who receives what and every number come in
// the payload. Only committed edits and pinned cells go back, as the "event" trigger.

const INSTANCES = new WeakMap();
let plotlyLoading = null;

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    const href = new URL(src, document.baseURI).href;
    // The download starts now; the script, whose evaluation is one long task of a second or more, is added only
    // after the next frame, so that the grids the overlay has just drawn reach the screen first.
    const preload = document.createElement("link");
    Object.assign(preload, { rel: "preload", as: "script", href });
    document.head.appendChild(preload);
    plotlyLoading = new Promise((resolve, reject) => {
      let added = false;
      const add = () => {
        if (added) return;
        added = true;
        const script = document.createElement("script");
        script.src = href;
        script.onload = () => resolve(window.Plotly);
        script.onerror = () => { plotlyLoading = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(script);
      };
      requestAnimationFrame(() => setTimeout(add, 0));
      setTimeout(add, 250);  // a hidden tab runs no animation frames
    });
  }
  return plotlyLoading;
}

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { l: 26, r: 4, t: 20, b: 4 };
const PADDING_COLOR = "#d9d9d9";
const NAN_COLOR = "#a0a0a0";
const VIRIDIS = "Viridis";
// plotly.js's own Viridis stops, and the gradient scale handed to plotly below: the overlay colours cells with
// the same stops (linear in RGB, as plotly's heatmap does) until plotly.js has loaded.
const VIRIDIS_STOPS = [[0, "#440154"], [0.06274509803921569, "#48186a"], [0.12549019607843137, "#472d7b"],
  [0.18823529411764706, "#424086"], [0.25098039215686274, "#3b528b"], [0.3137254901960784, "#33638d"],
  [0.3764705882352941, "#2c728e"], [0.4392156862745098, "#26828e"], [0.5019607843137255, "#21918c"],
  [0.5647058823529412, "#1fa088"], [0.6274509803921569, "#28ae80"], [0.6901960784313725, "#3fbc73"],
  [0.7529411764705882, "#5ec962"], [0.8156862745098039, "#84d44b"], [0.8784313725490196, "#addc30"],
  [0.9411764705882353, "#d8e219"], [1, "#fde725"]];
const GRADIENT_STOPS = [[0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1, "#b2182b"]];

function scaleColor(stops, t) {
  // The colour at t in [0, 1] of a piecewise-linear RGB scale, as "rgb(r, g, b)".
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < x) k += 1;
  const [t0, c0] = stops[k - 1], [t1, c1] = stops[k];
  const f = t1 > t0 ? (x - t0) / (t1 - t0) : 0;
  const ch = (c, i) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
  const rgb = [0, 1, 2].map((i) => Math.round(ch(c0, i) + f * (ch(c1, i) - ch(c0, i))));
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function fmt(v) {
  // Fallback for grids too big for printed text (the server formats small ones).
  if (typeof v === "string") return v === "nan" ? "nan" : v === "inf" ? "∞" : "−∞";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

class Linked {
  constructor(parent) {
    this.parent = parent;
    this.root = parent.querySelector(".lp-root") || parent.appendChild(document.createElement("div"));
    this.root.classList.add("lp-root");
    this.root.linked = this;  // for benchmarks/ and the profiling scripts: the instance that draws this root
    this.row = document.createElement("div");
    this.row.className = "lp-row";
    this.root.appendChild(this.row);
    this.help = document.createElement("div");
    this.help.className = "lp-help";
    this.root.appendChild(this.help);
    this.tip = document.createElement("div");
    this.tip.className = "lp-tip";
    this.tip.setAttribute("role", "tooltip");
    this.root.appendChild(this.tip);
    this.live = document.createElement("div");
    this.live.className = "lp-sr";
    this.live.setAttribute("aria-live", "polite");
    this.root.appendChild(this.live);
    this.panels = {};
    this.hover = null;      // {grid, r, c} under the mouse
    this.cursor = null;     // {grid, r, c} keyboard cursor
    this.pinned = null;     // [i, j]
    this.editing = null;    // {grid, r, c}
    this.pending = [];      // [{grid, r, c, text}] typed, not yet echoed back by the server
    this.events = 0;
    this.draws = 0;
    this.width = 0;
    // The root's width and the window's height, kept from the observers: reading clientWidth or innerHeight in
    // render() would force a layout of the whole page Streamlit has just re-rendered, inside our task.
    this.rootWidth = 0;
    this.viewHeight = window.innerHeight;
    this.resize = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1].contentRect.width;
      this.rootWidth = w;
      if (this.data && Math.abs(w - this.width) > 2) this.render();
    });
    window.addEventListener("resize", () => { this.viewHeight = window.innerHeight; });
    this.resize.observe(this.root);
  }

  // ----- data --------------------------------------------------------------------------------------
  update(data, setTrigger) {
    this.setTrigger = setTrigger;
    this.data = data;
    this.pinned = data.sel;
    this.pending = [];
    const d = data;
    const [H, W] = d.geometry.in_shape;
    const [Ho, Wo] = d.geometry.out_shape;
    // Which windows contain input row h / column w: the inverse of the payload's rows and cols.
    this.rowWins = new Map();
    this.colWins = new Map();
    d.rows.forEach((rows, i) => rows.forEach((h) => { if (!this.rowWins.has(h)) this.rowWins.set(h, []); this.rowWins.get(h).push(i); }));
    d.cols.forEach((cols, j) => cols.forEach((w) => { if (!this.colWins.has(w)) this.colWins.set(w, []); this.colWins.get(w).push(j); }));
    // What each input cell receives, from which window: the inverse of the payload's receivers.
    this.received = new Map();
    d.receivers.forEach((list, k) => list.forEach(([flat, weight, amount]) => {
      if (!this.received.has(flat)) this.received.set(flat, []);
      this.received.get(flat).push([k, weight, amount]);
    }));
    const allRows = d.rows.flat(), allCols = d.cols.flat();
    this.xRange = {
      r0: Math.min(0, ...allRows), r1: Math.max(H - 1, ...allRows),
      c0: Math.min(0, ...allCols), c1: Math.max(W - 1, ...allCols),
    };
    this.yRange = { r0: 0, r1: Ho - 1, c0: 0, c1: Wo - 1 };
    for (const key of ["hover", "cursor", "editing"]) {
      const t = this[key];
      if (t && !this.inside(t.grid, t.r, t.c)) this[key] = null;
    }
    this.render();
  }

  shapeOf(grid) { return this.data.grids[grid].shape; }
  inside(grid, r, c) {
    if (!this.data.grids[grid]) return false;
    const [h, w] = this.shapeOf(grid);
    return r >= 0 && c >= 0 && r < h && c < w;
  }
  rangeOf(grid) { return grid === "x" || grid === "dx" ? this.xRange : this.yRange; }
  value(grid, r, c) { return this.data.grids[grid].v[r * this.shapeOf(grid)[1] + c]; }
  text(grid, r, c) {
    const g = this.data.grids[grid];
    const k = r * g.shape[1] + c;
    return g.text ? g.text[k] : fmt(g.v[k]);
  }
  name(grid) { return this.data.names[grid]; }

  // ----- layout and drawing ---------------------------------------------------------------------------
  cellSize() {
    const d = this.data;
    const fs = d.font_scale || 1;
    if (!this.rootWidth) this.rootWidth = this.root.clientWidth;
    const width = Math.max(200, this.rootWidth);
    this.width = this.rootWidth;
    const cols = { x: 0, y: 0, dy: 0, dx: 0 };
    const rows = { x: 0, y: 0, dy: 0, dx: 0 };
    for (const g of d.show) {
      const rg = this.rangeOf(g);
      cols[g] = rg.c1 - rg.c0 + 1;
      rows[g] = rg.r1 - rg.r0 + 1;
    }
    const gap = 14;
    const overhead = d.show.length * (MARGIN.l + MARGIN.r) + (d.show.length - 1) * gap + 4;
    const totalCols = d.show.reduce((s, g) => s + cols[g], 0);
    const maxRows = Math.max(...d.show.map((g) => rows[g]));
    // The tallest grid may use about half the window's height, so the math below stays on screen.
    const heightCap = Math.max(160, Math.min(this.viewHeight * 0.5, 720 * fs));
    const maxCell = 64 * fs;
    // Presenting, a cell may push the picture past the height cap up to FLOOR px (60 px reads from the back
    // row), as far as the width allows: fit(w, h) is the cell for width fit w and height fit h.
    const FLOOR = fs > 1 ? 60 : 0;
    const fit = (w, h) => Math.min(maxCell, w, Math.max(h, Math.min(w, FLOOR)));
    const oneRow = fit((width - overhead) / totalCols, heightCap / maxRows);
    // Two rows (x, y above dL/dx, dL/dy) when that gives bigger cells.
    const half = d.show.length === 4 ? Math.max(cols.x + cols.y, cols.dx + cols.dy) : totalCols;
    const twoOverhead = 2 * (MARGIN.l + MARGIN.r) + gap + 4;
    const twoRows = d.show.length === 4 ? fit((width - twoOverhead) / half, heightCap / (2 * maxRows)) : 0;
    // x | y above dL/dy | dL/dx: the output grids share a column when both together are no
    // taller than x (stride 2 and up), which leaves wider cells for every grid.
    const TITLE = 40;  // title and status line above and below each grid, in px
    let stacked = 0;
    if (d.show.length === 4 && cols.y === cols.dy) {
      const stackOverhead = 3 * (MARGIN.l + MARGIN.r) + 2 * gap + 4;
      const stackCols = cols.x + cols.y + cols.dx;
      const cell = fit((width - stackOverhead) / stackCols, heightCap / maxRows);
      const stackHeight = 2 * (rows.y * cell + MARGIN.t + MARGIN.b + TITLE);
      const xHeight = rows.x * cell + MARGIN.t + MARGIN.b + TITLE;
      if (stackHeight <= xHeight + TITLE + 24) stacked = cell;
    }
    this.layout = "row";
    let best = oneRow;
    if (twoRows > best * 1.15) { this.layout = "two"; best = twoRows; }
    if (stacked > best * 1.05) { this.layout = "stack"; best = stacked; }
    this.twoRows = this.layout === "two";
    return Math.max(4, Math.floor(best));
  }

  ensurePanel(grid) {
    if (this.panels[grid]) return this.panels[grid];
    const fig = document.createElement("figure");
    fig.className = "lp-panel";
    fig.dataset.grid = grid;
    const title = document.createElement("figcaption");
    title.className = "lp-title";
    fig.appendChild(title);
    const box = document.createElement("div");
    box.className = "lp-grid";
    box.setAttribute("role", "grid");
    box.setAttribute("aria-label", this.name(grid));
    box.setAttribute("aria-roledescription", "grid of numbers");
    box.tabIndex = 0;
    fig.appendChild(box);
    const plot = document.createElement("div");
    plot.className = "lp-plot";
    box.appendChild(plot);
    const over = svgEl("svg", { class: "lp-over" }, box);
    // Printed values live in the overlay, not in plotly's texttemplate: redrawing 600 SVG texts is a
    // few ms, plotly's text layout a large part of a redraw.
    // Cell borders: drawn here, not as plotly's xgap/ygap, which would make plotly paint the whole plot area
    // into a canvas and PNG-encode it on every redraw; without gaps it draws one pixel per cell.
    // Coloured cells drawn here only until plotly.js has loaded (or if it never does); then plotly's heatmap
    // underneath takes over and this group is emptied.
    const cells = svgEl("g", { class: "lp-cells" }, over);
    const gaps = svgEl("path", { class: "lp-gaps" }, over);
    const numbers = svgEl("g", { class: "lp-numbers" }, over);
    const axes = svgEl("g", { class: "lp-axes" }, over);
    const fixed = svgEl("g", { class: "lp-fixed" }, over);
    // Hover marks live in an SVG of their own on top (no pointer events: the one below takes the mouse), so a hover
    // invalidates a handful of rects, not the SVG that holds hundreds of numbers.
    const top = svgEl("svg", { class: "lp-over lp-top", "aria-hidden": "true" }, box);
    const marks = svgEl("g", { class: "lp-marks" }, top);
    const input = document.createElement("input");
    input.className = "lp-input";
    input.setAttribute("aria-label", `edit ${this.name(grid)}`);
    input.autocomplete = "off";
    input.spellcheck = false;
    box.appendChild(input);
    const status = document.createElement("div");
    status.className = "lp-status";
    status.setAttribute("aria-live", "polite");
    fig.appendChild(status);
    const panel = { grid, fig, title, box, plot, over, top, cells, gaps, numbers, axes, fixed, marks, input, status, drawn: false };
    this.bindPanel(panel);
    this.panels[grid] = panel;
    return panel;
  }

  render() {
    const d = this.data;
    const started = performance.now();
    const cs = this.cellSize();
    this.cs = cs;
    const fs = d.font_scale || 1;
    const fontSize = Math.max(7, Math.min(30 * fs, Math.round(cs * 0.42)));
    const tickSize = Math.round(Math.max(9, Math.min(16, cs * 0.35)) * Math.min(fs, 1.3));
    this.root.style.setProperty("--lp-title-size", `${(0.9 * fs).toFixed(2)}rem`);
    this.root.style.setProperty("--lp-tip-size", `${(0.8 * fs).toFixed(2)}rem`);
    this.row.style.display = this.twoRows ? "grid" : "flex";
    this.row.style.gridTemplateColumns = this.twoRows ? "max-content max-content" : "";
    const order = this.twoRows ? ["x", "y", "dx", "dy"].filter((g) => d.show.includes(g)) : d.show;
    if (!this.stack) {
      this.stack = document.createElement("div");
      this.stack.className = "lp-stack";
    }
    // The text colour (theme) is read once, then checked in the next frame, when styles are computed anyway.
    if (!this.color) this.color = getComputedStyle(this.root).color || "#31333f";
    const color = this.color;
    for (const name of Object.keys(this.panels)) {
      if (!d.show.includes(name)) { this.panels[name].fig.remove(); delete this.panels[name]; }
    }
    const later = [];
    order.forEach((grid) => {
      const p = this.ensurePanel(grid);
      // Moving a node blurs whatever has focus inside it: only move panels out of order.
      this.place(p, grid, order);
      if (p.title.textContent !== d.titles[grid]) p.title.textContent = d.titles[grid];
      const rg = this.rangeOf(grid);
      const nr = rg.r1 - rg.r0 + 1, nc = rg.c1 - rg.c0 + 1;
      const w = MARGIN.l + MARGIN.r + nc * cs, h = MARGIN.t + MARGIN.b + nr * cs;
      p.geom = { r0: rg.r0, c0: rg.c0, nr, nc, w, h };
      Object.assign(p.box.dataset, { cs: String(cs), r0: String(rg.r0), c0: String(rg.c0) });
      p.box.style.width = `${w}px`;
      p.box.style.height = `${h}px`;
      for (const svg of [p.over, p.top]) { svg.setAttribute("width", w); svg.setAttribute("height", h); }
      p.fig.style.width = `${w}px`;
      const g = d.grids[grid];
      const [H, W] = g.shape;
      const z = [];
      for (let r = 0; r < H; r++) {
        const zr = new Array(W);
        for (let c = 0; c < W; c++) {
          const v = g.v[r * W + c];
          zr[c] = typeof v === "number" ? v : v === "nan" ? null : v === "inf" ? g.zmax : g.zmin;
        }
        z.push(zr);
      }
      const xs = Array.from({ length: W }, (_, c) => c), ys = Array.from({ length: H }, (_, r) => r);
      const trace = {
        type: "heatmap", name: "grid", z, x: xs, y: ys, zmin: g.zmin, zmax: g.zmax,
        colorscale: g.kind === "gradient" ? GRADIENT_STOPS : VIRIDIS,
        showscale: false, hoverinfo: "skip",
      };

      const ticks = (lo, hi) => {
        const n = hi - lo + 1;
        const step = n <= 24 ? 1 : [2, 4, 5, 8, 10, 16, 20, 32].find((s) => n / s <= 12) || 64;
        const out = [];
        for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
        return out;
      };
      const shapes = [];
      if (grid === "x" || grid === "dx") {
        // Padding and positions beyond the grid: grey bands around the real cells.
        const band = (x0, x1, y0, y1) => shapes.push({ type: "rect", layer: "below", xref: "x", yref: "y", x0, x1, y0, y1,
          fillcolor: PADDING_COLOR, line: { width: 0 } });
        if (rg.r0 < 0) band(rg.c0 - 0.5, rg.c1 + 0.5, rg.r0 - 0.5, -0.5);
        if (rg.r1 > H - 1) band(rg.c0 - 0.5, rg.c1 + 0.5, H - 0.5, rg.r1 + 0.5);
        if (rg.c0 < 0) band(rg.c0 - 0.5, -0.5, -0.5, H - 0.5);
        if (rg.c1 > W - 1) band(W - 0.5, rg.c1 + 0.5, -0.5, H - 0.5);
      }
      const layout = {
        width: w, height: h, margin: MARGIN, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: NAN_COLOR,
        font: { color, size: tickSize }, showlegend: false, dragmode: false, hovermode: false, shapes,
        // Tick labels are drawn in the overlay (drawAxes): plotly measures and lays out its own labels on every
        // redraw, which was most of the time a changed grid took to draw.
        xaxis: { range: [rg.c0 - 0.5, rg.c1 + 0.5], side: "top", tickvals: ticks(rg.c0, rg.c1), showgrid: false,
          zeroline: false, fixedrange: true, ticks: "", tickfont: { size: tickSize }, showticklabels: false },
        yaxis: { range: [rg.r1 + 0.5, rg.r0 - 0.5], tickvals: ticks(rg.r0, rg.r1), showgrid: false, zeroline: false,
          fixedrange: true, ticks: "", tickfont: { size: tickSize }, showticklabels: false },
      };
      const config = { displayModeBar: false, staticPlot: true, responsive: false };
      // A grid whose numbers, colours and size did not change (dL/dy after an edit of x) is left as is.
      const shape = [cs, fs, rg.r0, rg.r1, rg.c0, rg.c1, H, W, g.kind, color].join("|");
      const signature = [shape, g.zmin, g.zmax, g.v.join(",")].join("|");
      if (signature !== p.signature) {
        p.signature = signature;
        if (!this.usesPlotly) {
          // plotly.js not there yet: the overlay colours the cells (with the overlay's other layers, below).
          const bands = shapes.map((b) => [b.x0, b.x1, b.y0, b.y1]);
          later.push(() => this.drawCells(p, g, z, bands, shape));
        } else {
          // Same size and axes (an edit): only the heatmap's z and colour range go to plotly, which then skips the
          // layout and axes work that Plotly.react does on every call.
          if (p.drawn && shape === p.shape) window.Plotly.restyle(p.plot, { z: [z], zmin: [g.zmin], zmax: [g.zmax] });
          else if (p.drawn) window.Plotly.react(p.plot, [trace], layout, config);
          else { window.Plotly.newPlot(p.plot, [trace], layout, config); p.drawn = true; }
          // Plotly drew the cells in this same task: the overlay's stand-ins go before the next paint.
          if (p.cells.firstChild) { p.cells.replaceChildren(); p.cellsKey = ""; }
        }
        p.shape = shape;
        const [xt, yt] = [ticks(rg.c0, rg.c1), ticks(rg.r0, rg.r1)];
        later.push(() => { this.drawNumbers(p, g, cs, fontSize); this.drawGaps(p, g, cs); this.drawAxes(p, xt, yt, cs, tickSize, color); });
      }
      later.push(() => { this.drawFixed(p, cs); this.drawStatus(p); });
    });
    // Every plotly call reads the layout; the overlays are written after all of them, so the page is laid out
    // once more in all rather than once per grid.
    for (const draw of later) draw();
    this.help.textContent = d.help !== undefined ? d.help : d.editable.length
      ? `Hover a cell to follow its window. Click a cell of ${d.editable.map((g) => this.name(g)).join(" or ")} and type to edit (Enter or Tab commits, arrows move, paste a block); click y or dL/dy to pin, Esc clears.`
      : d.pinnable ? "Hover a cell to follow its window; click y or dL/dy to pin it, Esc clears."
      : "Hover a cell to follow its window.";
    this.highlight();
    this.draws += 1;
    this.root.dataset.draws = String(this.draws);
    if (!this.colorCheck) {
      this.colorCheck = requestAnimationFrame(() => {
        this.colorCheck = 0;
        const now = getComputedStyle(this.root).color || "#31333f";
        if (now !== this.color) { this.color = now; this.render(); }
      });
    }
    // For benchmarks/bench_browser.py: when and how long the last draw took.
    this.root.dataset.renderStart = started.toFixed(1);
    this.root.dataset.renderMs = (performance.now() - started).toFixed(1);
  }

  place(p, grid, order) {
    // Moving a node blurs whatever has focus inside it: only move panels that are out of place.
    if (this.layout === "stack") {
      const slots = { x: [this.row, 0], y: [this.stack, 0], dy: [this.stack, 1], dx: [this.row, 2] };
      if (this.row.children[1] !== this.stack) this.row.insertBefore(this.stack, this.row.children[1] || null);
      const [parent, at] = slots[grid];
      if (parent.children[at] !== p.fig) parent.insertBefore(p.fig, parent.children[at] || null);
      return;
    }
    if (this.stack.parentNode) {
      for (const fig of Array.from(this.stack.children)) this.row.appendChild(fig);
      this.stack.remove();
    }
    const at = order.indexOf(grid);
    if (this.row.children[at] !== p.fig) this.row.insertBefore(p.fig, this.row.children[at] || null);
  }

  drawNumbers(p, g, cs, fontSize) {
    // Same cells at the same size: change only the texts and colours that differ (an edit changes a few cells;
    // rebuilding hundreds of SVG texts would make the browser lay all of them out again).
    // Anything else drawn per number must be updated in both branches below.
    const key = g.text ? [g.shape, cs, fontSize, p.geom.r0, p.geom.c0].join("|") : "";
    const same = key !== "" && key === p.numbersKey && p.numbers.children.length === g.shape[0] * g.shape[1];
    p.numbersKey = key;
    const frag = same ? null : document.createDocumentFragment();
    const old = same ? p.numbers.children : null;
    if (g.text) {
      const [H, W] = g.shape;
      const span = g.zmax - g.zmin || 1;
      for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
        const v = g.v[r * W + c];
        const z = typeof v === "number" ? v : v === "nan" ? null : v === "inf" ? g.zmax : g.zmin;
        const t = z === null ? 0.5 : (z - g.zmin) / span;
        // Light text on the dark ends of each colour scale, dark text elsewhere (and on NaN's grey).
        const dark = z !== null && (g.kind === "gradient" ? Math.abs(t - 0.5) > 0.3 : t < 0.55);
        if (same) {
          const el = old[r * W + c], fill = dark ? "#ffffff" : "#111111", label = g.text[r * W + c];
          if (el.getAttribute("fill") !== fill) el.setAttribute("fill", fill);
          if (el.textContent !== label) el.textContent = label;
          continue;
        }
        const el = svgEl("text", {
          x: MARGIN.l + (c - p.geom.c0 + 0.5) * cs, y: MARGIN.t + (r - p.geom.r0 + 0.5) * cs,
          "text-anchor": "middle", "dominant-baseline": "central", "font-size": fontSize,
          fill: dark ? "#ffffff" : "#111111", class: "lp-num", "data-r": r, "data-c": c,
        });
        el.textContent = g.text[r * W + c];
        frag.appendChild(el);
      }
    }
    if (!same) p.numbers.replaceChildren(frag);
  }

  drawCells(p, g, z, bands, shape) {
    // The colour layer while plotly.js is not there: the NaN-grey plot area, the padding bands, one rect per cell.
    // Same size as before: only the fills change (an edit).
    const [H, W] = g.shape;
    const stops = g.kind === "gradient" ? GRADIENT_STOPS : VIRIDIS_STOPS;
    const span = g.zmax - g.zmin;
    const fill = (v) => scaleColor(stops, span > 0 ? (v - g.zmin) / span : 0.5);
    const cs = this.cs, { r0, c0, nr, nc } = p.geom;
    const px = (c) => MARGIN.l + (c - c0) * cs, py = (r) => MARGIN.t + (r - r0) * cs;
    if (p.cellsKey === shape && p.cellRects) {
      p.cellRects.forEach((el, k) => {
        const v = z[Math.floor(k / W)][k % W];
        const want = v === null ? "none" : fill(v);
        if (el.dataset.fill !== want) { el.dataset.fill = want; el.style.fill = want; }
      });
      return;
    }
    const frag = document.createDocumentFragment();
    // Fills as inline styles: the stylesheet's ".lp-over rect { fill: none }" outranks a fill attribute.
    svgEl("rect", { x: MARGIN.l, y: MARGIN.t, width: nc * cs, height: nr * cs, style: `fill: ${NAN_COLOR}`,
      class: "lp-cell-bg" }, frag);
    for (const [x0, x1, y0, y1] of bands) {
      svgEl("rect", { x: px(x0 + 0.5), y: py(y0 + 0.5), width: (x1 - x0) * cs, height: (y1 - y0) * cs, style: `fill: ${PADDING_COLOR}`,
        class: "lp-cell-pad" }, frag);
    }
    p.cellRects = [];
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
      const v = z[r][c];
      const want = v === null ? "none" : fill(v);
      p.cellRects.push(svgEl("rect", { x: px(c), y: py(r), width: cs, height: cs, style: `fill: ${want}`,
        "data-fill": want, class: "lp-cell", "data-r": r, "data-c": c }, frag));
    }
    p.cells.replaceChildren(frag);
    p.cellsKey = shape;
  }

  plotlyArrived() {
    // plotly.js has loaded: every grid is drawn again with it, which empties the overlay's colour layer.
    if (this.usesPlotly) return;
    this.usesPlotly = true;
    this.root.dataset.colour = "plotly";
    for (const p of Object.values(this.panels)) p.signature = "";
    if (this.data) this.render();
  }

  drawGaps(p, g, cs) {
    // One-pixel lines between the grid's cells (not the padding), where plotly's 1 px gaps used to be.
    const [H, W] = g.shape;
    // An edit changes no line: skip the rewrite (a new path would be laid out and painted again).
    const key = [H, W, cs, p.geom.r0, p.geom.c0].join("|");
    if (key === p.gapsKey) return;
    p.gapsKey = key;
    if (cs < 12) { p.gaps.setAttribute("d", ""); return; }
    const x0 = MARGIN.l - p.geom.c0 * cs, y0 = MARGIN.t - p.geom.r0 * cs;
    const parts = [];
    for (let c = 1; c < W; c++) parts.push(`M${x0 + c * cs - 0.5},${y0}v${H * cs}`);
    for (let r = 1; r < H; r++) parts.push(`M${x0},${y0 + r * cs - 0.5}h${W * cs}`);
    p.gaps.setAttribute("d", parts.join(""));
  }

  drawAxes(p, cols, rows, cs, size, color) {
    // Row and column indices in the margins, where plotly put its tick labels (same classes, so tests find them).
    // Kept as they are when nothing about them changed (an edit of a value).
    const key = [cols.join(","), rows.join(","), cs, size, color, p.geom.r0, p.geom.c0].join("|");
    if (key === p.axesKey) return;
    p.axesKey = key;
    const frag = document.createDocumentFragment();
    const label = (cls, attrs, value) => {
      const g = svgEl("g", { class: cls }, frag);
      svgEl("text", { "font-size": size, fill: color, ...attrs }, g).textContent = String(value);
    };
    for (const c of cols) label("xtick", { x: MARGIN.l + (c - p.geom.c0 + 0.5) * cs, y: MARGIN.t - 4, "text-anchor": "middle" }, c);
    for (const r of rows) {
      label("ytick", { x: MARGIN.l - 4, y: MARGIN.t + (r - p.geom.r0 + 0.5) * cs, "text-anchor": "end",
        "dominant-baseline": "central" }, r);
    }
    p.axes.replaceChildren(frag);
  }

  cellRect(p, r, c, inset, cls, parent) {
    const cs = this.cs;
    return svgEl("rect", {
      x: MARGIN.l + (c - p.geom.c0) * cs + inset, y: MARGIN.t + (r - p.geom.r0) * cs + inset,
      width: Math.max(1, cs - 2 * inset), height: Math.max(1, cs - 2 * inset), class: cls, "data-r": r, "data-c": c,
    }, parent);
  }

  drawFixed(p, cs) {
    // Static marks for this payload: winners in x (corner badge and outline), tied maxima, errors and pending text.
    const d = this.data;
    p.fixed.replaceChildren();
    if (p.grid === "x" && d.mark_winners) {
      const [, W] = d.grids.x.shape;
      d.win_counts.forEach((n, flat) => {
        if (!n) return;
        const r = Math.floor(flat / W), c = flat % W;
        this.cellRect(p, r, c, Math.max(1, cs * 0.08), "lp-winner", p.fixed);
        this.drawBadge(p, r, c, n, cs);
      });
    }
    // Tied maxima on x and on dL/dx (same shape), under every rule: under 'none' dL/dx is 0 there, and the
    // disc says why.
    // (mark_ties, when given, decides apart from the winner badges: the smooth max has no winners but has ties.)
    const markTies = d.mark_ties !== undefined ? d.mark_ties : d.mark_winners;
    if ((p.grid === "x" || p.grid === "dx") && markTies) this.drawTieMarks(p, cs);
    const marks = [];
    for (const e of d.errors) if (e.grid === p.grid) marks.push([e, "lp-err", "lp-err-text"]);
    for (const e of this.pending) if (e.grid === p.grid) marks.push([e, "lp-pending", "lp-pending-text"]);
    for (const [e, boxCls, textCls] of marks) {
      this.cellRect(p, e.r, e.c, 1, boxCls, p.fixed);
      const t = svgEl("text", { x: MARGIN.l + (e.c - p.geom.c0 + 0.5) * cs, y: MARGIN.t + (e.r - p.geom.r0 + 0.5) * cs,
        "text-anchor": "middle", "dominant-baseline": "central", class: textCls,
        "font-size": Math.max(7, Math.round(cs * 0.36)) }, p.fixed);
      t.textContent = e.text.length > 6 ? e.text.slice(0, 5) + "…" : e.text;
    }
    this.drawWaitingAndMarks(p, cs);
  }

  // Cells not computed yet (a grid's "pending") and badged cells (its "marks"), from optional payload keys.
  drawWaitingAndMarks(p, cs) {
    const g = this.data.grids[p.grid];
    const W = g.shape[1];
    for (const flat of g.pending || []) {
      this.cellRect(p, Math.floor(flat / W), flat % W, 1, "lp-wait", p.fixed);
    }
    for (const flat of g.marks || []) {
      const r = Math.floor(flat / W), c = flat % W;
      // A white line under the dashed blue one, so the mark shows on dark and light cells alike.
      this.cellRect(p, r, c, Math.max(2, cs * 0.06), "lp-mark-halo", p.fixed);
      this.cellRect(p, r, c, Math.max(2, cs * 0.06), "lp-mark", p.fixed);
      // A corner tag as well as the outline, so a mark is not told by colour alone; it stays clear of the digits.
      // Bottom-right: the other corners hold the winner badge (top right), the win count (top left) and the
      // tie disc (bottom left).
      const x1 = MARGIN.l + (c - p.geom.c0 + 1) * cs - 1, y1 = MARGIN.t + (r - p.geom.r0 + 1) * cs - 1;
      const size = Math.max(5, cs * 0.26);
      svgEl("path", { d: `M${x1},${y1 - size} L${x1},${y1} L${x1 - size},${y1} Z`, class: "lp-mark-tag",
        "data-r": r, "data-c": c }, p.fixed);
    }
  }

  waiting(grid, r, c) {
    const g = this.data.grids[grid];
    if (!g || !g.pending) return false;
    if (!g.pendingSet) g.pendingSet = new Set(g.pending);
    return g.pendingSet.has(r * g.shape[1] + c);
  }

  noteOf(t) {
    const g = this.data.grids[t.grid];
    if (!g || !g.notes || !this.inside(t.grid, t.r, t.c)) return "";
    const note = g.notes[t.r * g.shape[1] + t.c];
    return note ? `\n${note}` : "";
  }

  // The tooltip while only part of the computation is known (the step-through): never a number not yet computed.
  describePartial(t) {
    const d = this.data;
    const [, W] = d.grids.x.shape;
    const [, Wo] = d.geometry.out_shape;
    const stateOf = (k) => (d.window_state ? d.window_state[k] : 2);
    const lines = [];
    const shown = (grid, r, c) => this.waiting(grid, r, c)
      ? `${this.name(grid)}[${r}, ${c}]: not computed yet` : `${this.name(grid)}[${r}, ${c}] = ${this.text(grid, r, c)}`;
    if (t.grid === "y" || t.grid === "dy") {
      const k = t.r * Wo + t.c;
      lines.push(shown(t.grid, t.r, t.c));
      const rows = d.rows[t.r], cols = d.cols[t.c];
      lines.push(`window: rows ${rows[0]}…${rows[rows.length - 1]}, columns ${cols[0]}…${cols[cols.length - 1]} of x`);
      if (stateOf(k) === 0) {
        lines.push("its maximum is not worked out yet");
        return lines.join("\n");
      }
      const idx = d.indices[k];
      if (idx < 0) lines.push("the window lies wholly in padding: no winner, no gradient");
      else lines.push(`max: x[${Math.floor(idx / W)}, ${idx % W}] = ${this.text("x", Math.floor(idx / W), idx % W)}`);
      if (d.ties[k].length) lines.push(`tie among ${d.ties[k].map((f) => `x[${Math.floor(f / W)}, ${f % W}]`).join(", ")}; rule: ${d.tie_policy}`);
      if (stateOf(k) === 1) {
        lines.push(idx < 0 ? "" : `dL/dy[${t.r}, ${t.c}] has not been sent back yet`);
      } else {
        const recv = d.receivers[k];
        lines.push(recv.length ? `sent dL/dy[${t.r}, ${t.c}] = ${this.text("dy", t.r, t.c)} to:` : "sent its gradient to no cell");
        for (const [flat, weight, amount] of recv) {
          const share = weight === 1 ? "" : ` (share ${fmt(weight)})`;
          lines.push(`  dL/dx[${Math.floor(flat / W)}, ${flat % W}] += ${fmt(amount)}${share}`);
        }
      }
      return lines.filter((l) => l).join("\n");
    }
    const inside = this.inside("x", t.r, t.c);
    lines.push(inside ? shown(t.grid, t.r, t.c) : `padding at (${t.r}, ${t.c}): counts as −∞`);
    const wins = this.windowsContaining(t.r, t.c);
    lines.push(wins.length ? `in ${wins.length} window${wins.length > 1 ? "s" : ""}: ${wins.map(([i, j]) => `y[${i}, ${j}]`).join(", ")}` : "in no window");
    if (!inside) return lines.join("\n");
    if (this.waiting("dx", t.r, t.c)) {
      lines.push(`dL/dx[${t.r}, ${t.c}]: not computed yet`);
      return lines.join("\n");
    }
    const got = this.received.get(t.r * W + t.c) || [];
    const waitingWins = wins.filter(([i, j]) => stateOf(i * Wo + j) < 2).length;
    if (got.length) {
      lines.push(`received from ${got.map(([k]) => `y[${Math.floor(k / Wo)}, ${k % Wo}]`).join(", ")}`);
      lines.push(`dL/dx[${t.r}, ${t.c}]${waitingWins ? " so far" : ""} = ${got.map(([, , a]) => fmt(a)).join(" + ")} = ${this.text("dx", t.r, t.c)}`);
    } else {
      lines.push(`nothing received${waitingWins ? " yet" : ""}: dL/dx[${t.r}, ${t.c}] = 0${waitingWins ? " so far" : ""}`);
    }
    if (waitingWins) lines.push(`${waitingWins} of its windows ${waitingWins > 1 ? "have" : "has"} not sent gradient back yet`);
    return lines.join("\n");
  }

  // Corner marks stay in a corner of their cell, clear of the number printed in its middle.
  drawBadge(p, r, c, n, cs) {
    // The winner badge: a black right triangle in the top-right corner; beside it, on cells winning
    // several windows, the count in the top-left corner (also in the tooltip).
    const x1 = MARGIN.l + (c - p.geom.c0 + 1) * cs - 0.04 * cs, y0 = MARGIN.t + (r - p.geom.r0) * cs + 0.04 * cs;
    const leg = Math.max(4, 0.24 * cs);
    svgEl("polygon", { points: `${x1 - leg},${y0} ${x1},${y0} ${x1},${y0 + leg}`, class: "lp-badge",
      "data-r": r, "data-c": c }, p.fixed);
    if (n > 1 && cs >= 30) {
      const t = svgEl("text", { x: MARGIN.l + (c - p.geom.c0) * cs + 0.06 * cs, y: y0, "dominant-baseline": "hanging",
        class: "lp-count", "font-size": Math.round(Math.min(0.24 * cs, 16 * (this.data.font_scale || 1))), "data-r": r, "data-c": c }, p.fixed);
      t.textContent = `×${n}`;
    }
  }

  drawTieMarks(p, cs) {
    // Tied maxima (the payload's ties, the same under every rule): a disc in the bottom-left corner.
    const [, W] = this.data.grids.x.shape;
    const seen = new Set();
    for (const tie of this.data.ties || []) for (const flat of tie) {
      if (seen.has(flat)) continue;
      seen.add(flat);
      const r = Math.floor(flat / W), c = flat % W, rad = Math.max(2.5, 0.11 * cs);
      svgEl("circle", { cx: MARGIN.l + (c - p.geom.c0) * cs + 0.05 * cs + rad, cy: MARGIN.t + (r - p.geom.r0 + 1) * cs - 0.05 * cs - rad,
        r: rad, class: "lp-tie", "data-r": r, "data-c": c }, p.fixed);
    }
  }

  drawStatus(p) {
    const errs = this.data.errors.filter((e) => e.grid === p.grid);
    p.status.textContent = errs.length
      ? errs.slice(0, 3).map((e) => `${this.name(p.grid)}[${e.r}, ${e.c}]: ${e.reason}. Not used: the grid keeps its last valid value.`).join("\n")
      : "";
  }

  // ----- highlighting -------------------------------------------------------------------------------------
  target() {
    if (this.hover) return this.hover;
    const focused = this.cursor && this.panels[this.cursor.grid] && document.activeElement === this.panels[this.cursor.grid].box;
    if (focused) return this.cursor;
    if (this.pinned) return { grid: "y", r: this.pinned[0], c: this.pinned[1], pinned: true };
    return null;
  }

  highlight() {
    const t0 = performance.now();
    for (const p of Object.values(this.panels)) p.marks.replaceChildren();
    const t = this.target();
    const d = this.data;
    if (this.cursor && this.panels[this.cursor.grid]) {
      const p = this.panels[this.cursor.grid];
      if (document.activeElement === p.box || this.editing) this.cellRect(p, this.cursor.r, this.cursor.c, 0, "lp-cursor", p.marks);
    }
    if (!t) { this.hideTip(); this.root.dataset.hl = ""; return; }
    const [, W] = d.grids.x.shape;
    const [, Wo] = d.geometry.out_shape;
    if (t.grid === "y" || t.grid === "dy") {
      const k = t.r * Wo + t.c;
      const P = this.panels;
      if (P.x) {
        const rows = d.rows[t.r], cols = d.cols[t.c];
        const seen = new Set();
        for (const r of rows) for (const c of cols) {
          const key = `${r},${c}`;
          if (seen.has(key)) continue;
          seen.add(key);
          this.cellRect(P.x, r, c, Math.max(1, this.cs * 0.03), "lp-hl", P.x.marks);
        }
        const cs = this.cs;
        const r0 = Math.min(...rows), r1 = Math.max(...rows), c0 = Math.min(...cols), c1 = Math.max(...cols);
        // A dark line under the magenta one (a CSS drop-shadow filter did the same but cost a frame per hover).
        const box = { x: MARGIN.l + (c0 - P.x.geom.c0) * cs, y: MARGIN.t + (r0 - P.x.geom.r0) * cs,
          width: (c1 - c0 + 1) * cs, height: (r1 - r0 + 1) * cs };
        svgEl("rect", { ...box, class: "lp-box-halo" }, P.x.marks);
        svgEl("rect", { ...box, class: "lp-box" }, P.x.marks);
      }
      for (const g of ["y", "dy"]) if (P[g]) this.cellRect(P[g], t.r, t.c, 0, "lp-hl", P[g].marks);
      if (P.dx) for (const [flat] of d.receivers[k]) this.cellRect(P.dx, Math.floor(flat / W), flat % W, 0, "lp-recv", P.dx.marks);
      this.root.dataset.hl = `${t.grid}:${t.r},${t.c}`;
    } else {
      const P = this.panels;
      const wins = this.windowsContaining(t.r, t.c);
      const flat = this.inside("x", t.r, t.c) ? t.r * W + t.c : -1;
      const got = new Map((this.received.get(flat) || []).map(([k, w, a]) => [k, [w, a]]));
      for (const g of ["x", "dx"]) if (P[g]) this.cellRect(P[g], t.r, t.c, 0, "lp-hl", P[g].marks);
      if (P.x) {
        const cs = this.cs;
        for (const [i, j] of wins) {
          const rows = d.rows[i], cols = d.cols[j];
          const r0 = Math.min(...rows), r1 = Math.max(...rows), c0 = Math.min(...cols), c1 = Math.max(...cols);
          const box = { x: MARGIN.l + (c0 - P.x.geom.c0) * cs + 2, y: MARGIN.t + (r0 - P.x.geom.r0) * cs + 2,
            width: (c1 - c0 + 1) * cs - 4, height: (r1 - r0 + 1) * cs - 4 };
          svgEl("rect", { ...box, class: "lp-faint-halo" }, P.x.marks);
          svgEl("rect", { ...box, class: "lp-faint", "data-i": i, "data-j": j }, P.x.marks);
        }
      }
      for (const g of ["y", "dy"]) {
        if (!P[g]) continue;
        for (const [i, j] of wins) this.cellRect(P[g], i, j, 0, got.has(i * Wo + j) ? "lp-won" : "lp-hl", P[g].marks);
      }
      this.root.dataset.hl = `${t.grid}:${t.r},${t.c}`;
    }
    if (t.pinned) this.hideTip(); else this.showTip(t);
    this.root.dataset.hlMs = (performance.now() - t0).toFixed(2);
  }

  windowsContaining(h, w) {
    const out = [];
    for (const i of this.rowWins.get(h) || []) for (const j of this.colWins.get(w) || []) {
      // A dilated window skips positions: (h, w) is in window (i, j) only if both lists hold it.
      if (this.data.rows[i].includes(h) && this.data.cols[j].includes(w)) out.push([i, j]);
    }
    return out;
  }

  describe(t) {
    const d = this.data;
    // Optional payload key tips = {grid: flat list of texts}: the server's words for that grid's cells.
    const tips = d.tips && d.tips[t.grid];
    if (tips && this.inside(t.grid, t.r, t.c)) return tips[t.r * this.shapeOf(t.grid)[1] + t.c];
    if (d.window_state || this.waiting(t.grid, t.r, t.c)) return this.describePartial(t) + this.noteOf(t);
    const [, W] = d.grids.x.shape;
    const [, Wo] = d.geometry.out_shape;
    const lines = [];
    if (t.grid === "y" || t.grid === "dy") {
      const k = t.r * Wo + t.c;
      lines.push(`${this.name(t.grid)}[${t.r}, ${t.c}] = ${this.text(t.grid, t.r, t.c)}`);
      const rows = d.rows[t.r], cols = d.cols[t.c];
      lines.push(`window: rows ${rows[0]}…${rows[rows.length - 1]}, columns ${cols[0]}…${cols[cols.length - 1]} of x`);
      const idx = d.indices[k];
      if (idx < 0) lines.push("the window lies wholly in padding: no winner, no gradient");
      else lines.push(`max: x[${Math.floor(idx / W)}, ${idx % W}] = ${this.text("x", Math.floor(idx / W), idx % W)}`);
      if (d.ties[k].length) lines.push(`tie among ${d.ties[k].map((f) => `x[${Math.floor(f / W)}, ${f % W}]`).join(", ")}; rule: ${d.tie_policy}`);
      const recv = d.receivers[k];
      lines.push(recv.length ? `sends dL/dy[${t.r}, ${t.c}] = ${this.text("dy", t.r, t.c)} to:` : "sends its gradient to no cell");
      for (const [flat, weight, amount] of recv) {
        const share = weight === 1 ? "" : ` (share ${fmt(weight)})`;
        lines.push(`  dL/dx[${Math.floor(flat / W)}, ${flat % W}] += ${fmt(amount)}${share}`);
      }
    } else {
      const inside = this.inside("x", t.r, t.c);
      lines.push(inside ? `${this.name(t.grid)}[${t.r}, ${t.c}] = ${this.text(t.grid, t.r, t.c)}` : `padding at (${t.r}, ${t.c}): counts as −∞`);
      const wins = this.windowsContaining(t.r, t.c);
      lines.push(wins.length ? `in ${wins.length} window${wins.length > 1 ? "s" : ""}: ${wins.map(([i, j]) => `y[${i}, ${j}]`).join(", ")}` : "in no window");
      if (inside) {
        const got = this.received.get(t.r * W + t.c) || [];
        if (got.length) {
          lines.push(`receives from ${got.map(([k]) => `y[${Math.floor(k / Wo)}, ${k % Wo}]`).join(", ")}`);
          lines.push(`dL/dx[${t.r}, ${t.c}] = ${got.map(([, , a]) => fmt(a)).join(" + ")} = ${this.text("dx", t.r, t.c)}`);
        } else {
          lines.push(`wins no window: dL/dx[${t.r}, ${t.c}] = 0`);
        }
      }
    }
    return lines.join("\n") + this.noteOf(t);
  }

  showTip(t) {
    // Below the row of grids (never over them), lined up with the hovered grid.
    const p = this.panels[t.grid];
    if (!p) return;
    this.tip.textContent = this.describe(t);
    this.tip.style.display = "block";
    // Placed in the next animation frame callback, which runs before that frame's layout and paint: reading sizes
    // here, right after the outlines were written, would force a layout of the page inside the mouse handler.
    this.tipPanel = p;
    if (!this.tipFrame) this.tipFrame = requestAnimationFrame(() => { this.tipFrame = 0; this.placeTip(); });
  }

  placeTip() {
    const p = this.tipPanel;
    if (!p || this.tip.style.display !== "block" || !p.box.isConnected) return;
    const box = p.box.getBoundingClientRect();
    const row = this.row.getBoundingClientRect();
    const tw = this.tip.offsetWidth, th = this.tip.offsetHeight;
    const x = Math.max(4, Math.min(box.left, window.innerWidth - tw - 4));
    let y = (this.twoRows ? box.bottom : row.bottom) + 4;
    if (y + th > window.innerHeight - 4) y = Math.max(4, row.top - th - 4);
    this.tip.style.left = `${x}px`;
    this.tip.style.top = `${y}px`;
  }

  hideTip() { this.tip.style.display = "none"; }

  // ----- input ---------------------------------------------------------------------------------------------------
  cellAt(p, ev) {
    const rect = p.box.getBoundingClientRect();
    const c = Math.floor((ev.clientX - rect.left - MARGIN.l) / this.cs) + p.geom.c0;
    const r = Math.floor((ev.clientY - rect.top - MARGIN.t) / this.cs) + p.geom.r0;
    if (r < p.geom.r0 || c < p.geom.c0 || r >= p.geom.r0 + p.geom.nr || c >= p.geom.c0 + p.geom.nc) return null;
    return { grid: p.grid, r, c };
  }

  send(event) {
    this.events += 1;
    this.setTrigger("event", { ...event, n: this.events });
  }

  pin(i, j) {
    if (!this.data.pinnable) return;
    this.pinned = [i, j];
    this.send({ type: "sel", cell: [i, j] });
  }

  editable(grid) { return this.data.editable.includes(grid); }

  bindPanel(p) {
    p.over.addEventListener("mousemove", (ev) => {
      const cell = this.cellAt(p, ev);
      const key = cell ? `${cell.grid}:${cell.r},${cell.c}` : "";
      if (key === this.hoverKey) return;
      this.hoverKey = key;
      this.hover = cell && (this.inside(p.grid, cell.r, cell.c) || p.grid === "x" || p.grid === "dx") ? cell : null;
      this.highlight();
    });
    p.over.addEventListener("mouseleave", () => { this.hover = null; this.hoverKey = ""; this.highlight(); });
    p.over.addEventListener("click", (ev) => {
      const cell = this.cellAt(p, ev);
      if (!cell || !this.inside(p.grid, cell.r, cell.c)) return;
      const again = this.cursor && this.cursor.grid === p.grid && this.cursor.r === cell.r && this.cursor.c === cell.c;
      this.cursor = cell;
      p.box.focus({ preventScroll: true });
      if ((p.grid === "y" || p.grid === "dy")) this.pin(cell.r, cell.c);
      if ((this.data.clickable || []).includes(p.grid)) this.send({ type: "cell", grid: p.grid, cell: [cell.r, cell.c] });
      if (again && this.editable(p.grid)) this.openEditor(cell, null);
      this.highlight();
    });
    p.box.addEventListener("focus", () => {
      if (!this.cursor || this.cursor.grid !== p.grid) {
        const sel = this.pinned && (p.grid === "y" || p.grid === "dy") ? this.pinned : [0, 0];
        this.cursor = { grid: p.grid, r: sel[0], c: sel[1] };
      }
      this.announce();
      this.highlight();
    });
    p.box.addEventListener("blur", () => { if (!this.editing) this.highlight(); });
    p.box.addEventListener("keydown", (ev) => this.onGridKey(p, ev));
    p.box.addEventListener("paste", (ev) => {
      if (!this.editable(p.grid) || !this.cursor || this.editing) return;
      ev.preventDefault();
      this.pasteBlock(p.grid, ev.clipboardData.getData("text"));
    });
    p.input.addEventListener("keydown", (ev) => this.onInputKey(p, ev));
    p.input.addEventListener("paste", (ev) => {
      const text = ev.clipboardData.getData("text");
      if (/[\s,;]/.test(text.trim())) {
        ev.preventDefault();
        const { grid } = this.editing;
        this.closeEditor(false);
        this.pasteBlock(grid, text);
      }
    });
    p.input.addEventListener("blur", () => { if (this.editing && this.editing.grid === p.grid) this.commitEditor(0, 0); });
  }

  announce() {
    if (!this.cursor) return;
    const { grid, r, c } = this.cursor;
    this.live.textContent = this.describe({ grid, r, c }).split("\n").slice(0, 3).join("; ");
  }

  onGridKey(p, ev) {
    if (!this.cursor || this.cursor.grid !== p.grid) this.cursor = { grid: p.grid, r: 0, c: 0 };
    const [H, W] = this.shapeOf(p.grid);
    const cur = this.cursor;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[ev.key]) {
      ev.preventDefault();
      const [dr, dc] = moves[ev.key];
      cur.r = Math.min(H - 1, Math.max(0, cur.r + dr));
      cur.c = Math.min(W - 1, Math.max(0, cur.c + dc));
      this.hover = null;
      this.announce();
      this.highlight();
    } else if (ev.key === "Enter" || ev.key === "F2") {
      ev.preventDefault();
      if (this.editable(p.grid)) this.openEditor(cur, null);
      else if ((this.data.clickable || []).includes(p.grid)) this.send({ type: "cell", grid: p.grid, cell: [cur.r, cur.c] });
      else if (p.grid === "y") { this.pin(cur.r, cur.c); this.highlight(); }
    } else if (ev.key === " ") {
      ev.preventDefault();
      if (p.grid === "y" || p.grid === "dy") { this.pin(cur.r, cur.c); this.highlight(); }
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      this.clearPin();
    } else if (this.editable(p.grid) && ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      this.openEditor(cur, ev.key);
    }
  }

  clearPin() {
    this.hover = null;
    if (this.pinned && this.data.pinnable) { this.pinned = null; this.send({ type: "sel", cell: null }); }
    this.highlight();
  }

  openEditor(cell, initial) {
    const p = this.panels[cell.grid];
    const cs = this.cs;
    this.editing = { ...cell };
    const input = p.input;
    const w = Math.max(cs, 56);
    input.style.left = `${MARGIN.l + (cell.c - p.geom.c0 + 0.5) * cs - w / 2}px`;
    input.style.top = `${MARGIN.t + (cell.r - p.geom.r0) * cs}px`;
    input.style.width = `${w}px`;
    input.style.height = `${Math.max(cs, 22)}px`;
    input.style.fontSize = `${Math.max(12, Math.round(cs * 0.42))}px`;
    input.value = initial !== null ? initial : this.rawText(cell.grid, cell.r, cell.c);
    input.style.display = "block";
    input.focus();
    if (initial === null) input.select();
    this.hideTip();
  }

  rawText(grid, r, c) {
    const err = this.data.errors.find((e) => e.grid === grid && e.r === r && e.c === c);
    if (err) return err.text;
    const v = this.value(grid, r, c);
    return typeof v === "number" ? String(v) : v;
  }

  closeEditor(refocus) {
    const e = this.editing;
    this.editing = null;
    if (!e) return;
    const p = this.panels[e.grid];
    p.input.style.display = "none";
    if (refocus) p.box.focus({ preventScroll: true });
  }

  commitEditor(dr, dc) {
    const e = this.editing;
    if (!e || e.sent) return;
    const p = this.panels[e.grid];
    const text = p.input.value;
    const changed = text !== this.rawText(e.grid, e.r, e.c);
    if (changed) {
      // Sent first; everything drawn here waits for a task after Streamlit's own, which puts the message on the
      // websocket (setTriggerValue flushes in a setTimeout). Drawing now would make the browser lay out and paint
      // before that task runs, and the edit would leave ~20 ms later.
      e.sent = true;  // a second Enter or the blur before that task must not send it again
      this.commitCells(e.grid, [[e.r, e.c, text]]);
      setTimeout(() => { if (this.editing === e) this.finishCommit(e, dr, dc); }, 0);
      return;
    }
    this.finishCommit(e, dr, dc);
  }

  finishCommit(e, dr, dc) {
    this.closeEditor(dr !== 0 || dc !== 0);
    if (dr || dc) {
      const [H, W] = this.shapeOf(e.grid);
      let r = e.r + dr, c = e.c + dc;
      if (c >= W) { c = 0; r += 1; }
      if (c < 0) { c = W - 1; r -= 1; }
      this.cursor = { grid: e.grid, r: Math.min(H - 1, Math.max(0, r)), c };
      this.announce();
    }
    this.highlight();
  }

  onInputKey(p, ev) {
    if (ev.key === "Enter") { ev.preventDefault(); this.commitEditor(ev.shiftKey ? -1 : 1, 0); }
    else if (ev.key === "Tab") { ev.preventDefault(); this.commitEditor(0, ev.shiftKey ? -1 : 1); }
    else if (ev.key === "Escape") { ev.preventDefault(); this.closeEditor(true); this.highlight(); }
    ev.stopPropagation();
  }

  pasteBlock(grid, text) {
    const [H, W] = this.shapeOf(grid);
    const start = this.cursor && this.cursor.grid === grid ? this.cursor : { r: 0, c: 0 };
    const lines = text.replace(/\r/g, "").split("\n").filter((l) => l.trim() !== "");
    const cells = [];
    lines.forEach((line, dr) => {
      line.trim().split(/[\s,;]+/).forEach((token, dc) => {
        const r = start.r + dr, c = start.c + dc;
        if (r < H && c < W) cells.push([r, c, token]);
      });
    });
    if (cells.length) this.commitCells(grid, cells);
  }

  commitCells(grid, cells) {
    this.send({ type: "edit", grid, cells });
    // Show what was typed until the server's new payload replaces it: in a task after Streamlit's send (see
    // commitEditor), unless the payload came first.
    for (const [r, c, text] of cells) this.pending.push({ grid, r, c, text });
    const data = this.data;
    setTimeout(() => { if (this.data === data && this.panels[grid]) this.drawFixed(this.panels[grid], this.cs); }, 0);
  }
}

// ----- following the teacher (class mode) ---------------------------------------------------------------------------
// A following student's component gets data.follow: the step's words and a live channel (a WebSocket) on which the
// server pushes each new step's whole screen. The component then draws the follower's screen itself (progress
// line, picture, words), so a teacher's step redraws thirty tabs without a Streamlit rerun of any of them.

const WORD_KINDS = new Set(["subheader", "markdown", "latex", "caption", "info", "success"]);
const MD_PUNCT = /[!-/:-@[-`{-~]/;  // ASCII punctuation: what a backslash may escape in markdown
const RETRY_MS = [1000, 10000];     // reconnect backoff: first wait, longest wait (doubling in between)
let katexLoading = null;

function loadKatex(src) {
  // KaTeX 0.16.47 (shipped in ui/, served from static/ like plotly.js): the version whose stylesheet and fonts
  // Streamlit's page already has. Its file is a UMD bundle: imported as a module, it sets window.katex.
  if (!katexLoading) {
    katexLoading = import(new URL(src, document.baseURI).href).then((m) => {
      const katex = m && m.default && typeof m.default.renderToString === "function" ? m.default : window.katex;
      if (!katex || typeof katex.renderToString !== "function") throw new Error("not KaTeX");
      return katex;
    });
    katexLoading.catch(() => { katexLoading = null; });  // a later screen tries again
  }
  return katexLoading;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function closingMark(src, mark, from) {
  // Where the emphasis opened before `from` closes: the next unescaped `mark` outside code spans, or -1.
  for (let j = from; j < src.length; j++) {
    const ch = src[j];
    if (ch === "\\") { j += 1; continue; }
    if (ch === "`") {
      const end = src.indexOf("`", j + 1);
      if (end > 0) { j = end; continue; }
    }
    if (mark === "*" && src.startsWith("**", j)) { j += 1; continue; }  // strong inside em
    if (!src.startsWith(mark, j)) continue;
    if (j === from || /\s/.test(src[j - 1])) continue;  // a closing mark follows text, not a space
    if (mark === "_" && /[\p{L}\p{N}]/u.test(src[j + 1] || "")) continue;  // no emphasis inside a word (dL_dx)
    return j;
  }
  return -1;
}

function inlineMarkdown(src) {
  // A tiny, safe markdown subset as DOM nodes: **strong**, *em*, _em_, `code` and backslash escapes. Everything else
  // is text: nothing from the payload ever goes into innerHTML.
  const out = [];
  let text = "";
  const flush = () => { if (text) { out.push(document.createTextNode(text)); text = ""; } };
  let i = 0;
  // `mark` at i opens emphasis drawn as `tag` if it closes later: then it is drawn and i moves past it.
  const emphasis = (tag, mark) => {
    const start = i + mark.length, end = closingMark(src, mark, start);
    if (end <= start) return false;
    flush();
    const node = el(tag);
    node.append(...inlineMarkdown(src.slice(start, end)));
    out.push(node);
    i = end + mark.length;
    return true;
  };
  while (i < src.length) {
    const ch = src[i];
    if (ch === "\\" && i + 1 < src.length && MD_PUNCT.test(src[i + 1])) { text += src[i + 1]; i += 2; continue; }
    if (ch === "`") {
      const end = src.indexOf("`", i + 1);
      if (end > i + 1) { flush(); out.push(el("code", "", src.slice(i + 1, end))); i = end + 1; continue; }
    }
    if (src.startsWith("**", i) && src[i + 2] && !/\s/.test(src[i + 2]) && emphasis("strong", "**")) continue;
    const opensUnderscore = ch === "_" && !/[\p{L}\p{N}]/u.test(src[i - 1] || "");
    if ((ch === "*" || opensUnderscore) && src[i + 1] && !/\s/.test(src[i + 1]) && emphasis("em", ch)) continue;
    text += ch;
    i += 1;
  }
  flush();
  return out;
}

function markdownBlock(src, cls) {
  // Paragraphs split at blank lines; a single line break is a space, as in Streamlit's markdown.
  const box = el("div", cls);
  for (const para of String(src).split(/\n\s*\n/)) {
    if (!para.trim()) continue;
    const p = el("p");
    p.append(...inlineMarkdown(para.replace(/\s*\n\s*/g, " ").trim()));
    box.appendChild(p);
  }
  return box;
}

function withStep(search, step) {
  // The query string with step= set to `step` and every other parameter kept as it was written.
  const parts = search.replace(/^\?/, "").split("&").filter((part) => part !== "");
  let found = false;
  const out = [];
  for (const part of parts) {
    if (part.split("=")[0] !== "step") out.push(part);
    else if (!found) { found = true; out.push(`step=${step}`); }
  }
  if (!found) out.push(`step=${step}`);
  return `?${out.join("&")}`;
}

function liveKey(live) {
  // The live URL without its since=: a rerun that only moved since= keeps the socket (it is up to date already).
  const u = new URL(live, document.baseURI);
  u.searchParams.delete("since");
  return u.href;
}

class Follower {
  // The follower's screen around one picture (inst), and its live channel.
  constructor(inst) {
    this.inst = inst;
    this.shown = null;      // the room version on screen
    this.socket = null;
    this.key = "";
    this.live = "";
    this.retries = 0;
    this.retryTimer = 0;
    this.stopped = false;
    this.katexSrc = null;
    this.box = el("div", "lp-follow");
    const progress = el("div", "lp-f-progress");
    this.progressText = el("p", "lp-f-progress-text");
    this.progressText.setAttribute("aria-live", "polite");
    this.bar = el("div", "lp-f-bar");
    this.bar.setAttribute("role", "progressbar");
    this.bar.setAttribute("aria-label", "The teacher's step");
    this.bar.setAttribute("aria-valuemin", "1");
    this.fill = el("div", "lp-f-fill");
    this.bar.appendChild(this.fill);
    progress.append(this.progressText, this.bar);
    const body = el("div", "lp-f-body");
    this.pictureCell = el("div", "lp-f-picture");
    this.wordsCell = el("div", "lp-f-words");
    body.append(this.pictureCell, this.wordsCell);
    this.box.append(progress, body);
    // The picture keeps its own root (its ResizeObserver measures that root) inside the picture's cell.
    const root = inst.root;
    root.parentNode.insertBefore(this.box, root);
    this.pictureCell.appendChild(root);
    // Streamlit's loader drops the cleanup a module may return: a picture taken off the page (another page opened)
    // notices here and closes its socket.
    this.watch = setInterval(() => { if (!this.box.isConnected) this.stop(); }, 2000);
  }

  // Called on every Streamlit run that brings `follow`; true when that run's payload is to be drawn.
  accept(follow, data) {
    this.runs = (this.runs || 0) + 1;
    this.inst.root.dataset.followRuns = String(this.runs);  // for tests: how many Streamlit runs brought `follow`
    if (typeof follow.katex === "string") this.katexSrc = follow.katex;
    else if (follow.katex === null) this.katexSrc = null;
    let key = "";
    try { key = typeof follow.live === "string" ? liveKey(follow.live) : ""; } catch (err) { /* no channel */ }
    if (key !== this.key) {
      this.closeSocket();
      // Another room or session: its versions do not compare with the ones shown.
      if (this.key) this.shown = null;
      this.key = key;
      this.retries = 0;
    }
    this.live = follow.live;
    const version = Number(follow.version);
    // A run that brings an older screen than the socket has shown (a rerun that computed it before the teacher
    // stepped) must not take the class back.
    const draw = this.shown === null || !(version < this.shown);
    if (draw) {
      this.shown = Number.isFinite(version) ? version : this.shown;
      this.showScreen(follow.step, follow.n_steps, follow.words, data);
    }
    if (key && !this.socket && !this.retryTimer) this.connect();
    return draw;
  }

  url() {
    const u = new URL(this.live, document.baseURI);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (this.shown !== null) u.searchParams.set("since", String(this.shown));
    return u.href;
  }

  connect() {
    this.retryTimer = 0;
    if (this.stopped || !this.key) return;
    if (!this.box.isConnected) { this.stop(); return; }
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.retry();
      return;
    }
    this.socket = ws;
    this.inst.root.dataset.followSocket = "connecting";
    this.inst.root.dataset.followLive = ws.url;
    ws.onopen = () => {
      if (this.socket !== ws) return;
      this.inst.root.dataset.followSocket = "open";
      // Open for a while: the next drop starts again from the shortest wait (a socket the server accepts and then
      // closes at once keeps backing off).
      setTimeout(() => { if (this.socket === ws && ws.readyState === WebSocket.OPEN) this.retries = 0; }, 5000);
    };
    ws.onmessage = (ev) => { if (this.socket === ws) this.onMessage(ev.data); };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.inst.root.dataset.followSocket = "closed";
      this.retry();
    };
  }

  retry() {
    if (this.stopped || this.retryTimer) return;
    const wait = Math.min(RETRY_MS[1], RETRY_MS[0] * 2 ** this.retries);
    this.retries += 1;
    // A little jitter, so a class whose server restarted does not come back in one burst.
    this.retryTimer = setTimeout(() => this.connect(), wait * (0.9 + 0.2 * Math.random()));
  }

  closeSocket() {
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    const ws = this.socket;
    this.socket = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try { ws.close(); } catch (err) { /* closing a socket that never opened */ }
    }
    if (this.inst.root.dataset.followSocket) this.inst.root.dataset.followSocket = "closed";
  }

  onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch (err) { return; }
    if (!msg || typeof msg !== "object" || typeof msg.version !== "number" || !msg.picture || typeof msg.picture !== "object") return;
    this.retries = 0;
    if (!this.box.isConnected) { this.stop(); return; }
    if (this.shown !== null && msg.version <= this.shown) return;
    this.shown = msg.version;
    try {
      this.inst.update(msg.picture, this.inst.setTrigger);
    } catch (err) {
      console.error("linked picture: could not draw the pushed step", err);
    }
    this.showScreen(msg.step, msg.n_steps, msg.words, msg.picture);
    if (Number.isInteger(msg.step) && msg.step > 0) {
      // The address bar follows the step, as a rerun's link would; the other parameters are kept as written.
      try {
        const search = withStep(window.location.search, msg.step);
        if (search !== window.location.search) history.replaceState(history.state, "", search + window.location.hash);
      } catch (err) { /* a sandboxed frame may refuse: the link just keeps its step */ }
    }
  }

  showScreen(step, nSteps, words, picture) {
    const root = this.inst.root;
    // Presenting (bigger fonts), as the step player lays it out for a projector: the picture across the whole
    // width, the words below it, formulas in a column of their own.
    this.wide = Boolean(picture && picture.font_scale > 1);
    this.box.classList.toggle("lp-f-wide", this.wide);
    if (this.shown !== null) root.dataset.followVersion = String(this.shown);
    const k = Number(step), n = Number(nSteps);
    if (Number.isInteger(k) && Number.isInteger(n) && n > 0) {
      root.dataset.followStep = String(k);
      this.progressText.textContent = `Step ${k} of ${n}, as the teacher steps. Leave to explore to step on your own.`;
      this.bar.setAttribute("aria-valuemax", String(n));
      this.bar.setAttribute("aria-valuenow", String(k));
      this.bar.setAttribute("aria-valuetext", `Step ${k} of ${n}`);
      this.fill.style.width = `${(100 * Math.min(Math.max(k, 0), n)) / n}%`;
    }
    this.renderWords(Array.isArray(words) ? words : []);
  }

  renderWords(words) {
    const frag = document.createDocumentFragment();
    const columns = this.wide ? { words: el("div", "lp-f-col"), formulas: el("div", "lp-f-col") } : null;
    if (columns) frag.append(columns.words, columns.formulas);
    const tex = [];
    for (const item of words) {
      if (!Array.isArray(item) || item.length < 3) continue;
      const into = columns ? (item[0] === "formulas" ? columns.formulas : columns.words) : frag;
      const kind = WORD_KINDS.has(item[1]) ? item[1] : "markdown";
      const text = String(item[2]);
      if (kind === "subheader") {
        const h = el("h3", "lp-f-subheader");
        h.append(...inlineMarkdown(text));
        into.appendChild(h);
      } else if (kind === "latex") {
        const box = el("div", "lp-f-latex");
        box.dataset.tex = text;
        tex.push(box);
        into.appendChild(box);
      } else if (kind === "caption") {
        into.appendChild(markdownBlock(text, "lp-f-caption"));
      } else if (kind === "info" || kind === "success") {
        const box = el("div", `lp-f-alert lp-f-${kind}`);
        box.setAttribute("role", "note");
        box.appendChild(el("span", "lp-f-icon", kind === "success" ? "✅" : "⊕")).setAttribute("aria-hidden", "true");
        box.appendChild(markdownBlock(text, "lp-f-alert-text"));
        into.appendChild(box);
      } else {
        into.appendChild(markdownBlock(text, "lp-f-md"));
      }
    }
    this.wordsCell.replaceChildren(frag);
    if (!tex.length) return;
    if (this.katex) { for (const box of tex) this.typeset(box); return; }
    // Until KaTeX has loaded (or if it cannot), the TeX source shows, swapped for the math when it arrives.
    for (const box of tex) box.replaceChildren(el("code", "lp-f-tex", box.dataset.tex));
    if (!this.katexSrc) return;
    loadKatex(this.katexSrc).then((katex) => {
      this.katex = katex;
      for (const box of tex) if (box.isConnected) this.typeset(box);
    }).catch(() => { /* the TeX source stays */ });
  }

  typeset(box) {
    let html;
    try {
      html = this.katex.renderToString(box.dataset.tex, { displayMode: true, throwOnError: false });
    } catch (err) {
      box.replaceChildren(el("code", "lp-f-tex", box.dataset.tex));
      return;
    }
    box.innerHTML = html;  // KaTeX's own output (it escapes the TeX it shows): the only HTML put in
  }

  stop() {
    // Not following any more (left to explore, or the picture left the page): close the channel, put the picture back.
    this.stopped = true;
    this.closeSocket();
    clearInterval(this.watch);
    const root = this.inst.root;
    if (this.box.parentNode) this.box.parentNode.insertBefore(root, this.box);
    this.box.remove();
    for (const key of ["followVersion", "followStep", "followSocket", "followLive", "followRuns"]) delete root.dataset[key];
  }
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const raw = component.data || {};
  const data = typeof raw.json === "string" ? JSON.parse(raw.json) : raw;
  // Class mode: a following student's screen, kept up to date over the live channel (see Follower).
  const follow = raw.follow && typeof raw.follow === "object" && typeof raw.json === "string" ? raw.follow : null;
  let inst = INSTANCES.get(parentElement);
  if (!inst) {
    inst = new Linked(parentElement);
    INSTANCES.set(parentElement, inst);
  }
  inst.setTrigger = setTriggerValue;
  let draw = true;
  if (follow) {
    // The layout first, so the picture's first draw measures the cell it is drawn in.
    if (!inst.follower || inst.follower.stopped) inst.follower = new Follower(inst);
    draw = inst.follower.accept(follow, data);
  } else if (inst.follower) {
    inst.follower.stop();
    inst.follower = null;
  }
  // Drawn at once: until plotly.js has loaded (its evaluation alone takes a second or two), the overlay colours the
  // cells itself; then plotly takes over the colour layer and nothing else changes.
  if (window.Plotly) inst.usesPlotly = true;
  inst.root.dataset.colour = inst.usesPlotly ? "plotly" : "svg";
  if (draw) inst.update(data, setTriggerValue);
  if (!inst.usesPlotly) {
    loadPlotly(data.plotly_src).then(() => inst.plotlyArrived()).catch(() => {
      // The grids are complete without it: the overlay's colours stay (and a later payload tries again).
      inst.root.dataset.colour = "svg";
    });
  }
  document.addEventListener("keydown", inst.escListener || (inst.escListener = (ev) => {
    if (ev.key === "Escape" && !inst.editing && inst.pinned && !inst.root.contains(document.activeElement)) inst.clearPin();
  }));
}
