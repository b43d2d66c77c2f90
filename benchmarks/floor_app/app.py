"""The platform floor for a first paint: the smallest Streamlit page with one components-v2 element that draws four
placeholder 16x16 grids as soon as it mounts (no plotly, no pooling). benchmarks/bench_browser.py --only floor
opens it the way it opens a shared link of the real app, so the two first-paint figures compare like for like."""

import streamlit as st

st.set_page_config(layout="wide")

# The same DOM the bench's ready probe looks for in the real picture: an element named x, y, dL/dy, dL/dx holding
# coloured cell rects (class lp-cell inside lp-cells).
JS = """
export default function (component) {
  const root = component.parentElement.querySelector(".floor-root");
  if (root.childElementCount) return;
  const svg = "http://www.w3.org/2000/svg";
  for (const name of ["x", "y", "dL/dy", "dL/dx"]) {
    const box = document.createElement("div");
    box.setAttribute("aria-label", name);
    box.style.display = "inline-block";
    box.style.margin = "4px";
    const s = document.createElementNS(svg, "svg");
    s.setAttribute("width", "256");
    s.setAttribute("height", "256");
    const g = document.createElementNS(svg, "g");
    g.setAttribute("class", "lp-cells");
    for (let k = 0; k < 256; k++) {
      const rect = document.createElementNS(svg, "rect");
      rect.setAttribute("class", "lp-cell");
      rect.setAttribute("x", String((k % 16) * 16));
      rect.setAttribute("y", String(Math.floor(k / 16) * 16));
      rect.setAttribute("width", "15");
      rect.setAttribute("height", "15");
      rect.setAttribute("fill", `hsl(${(k * 7) % 360}, 50%, 50%)`);
      g.appendChild(rect);
    }
    s.appendChild(g);
    box.appendChild(s);
    root.appendChild(box);
  }
}
"""

# No shadow root, as for the app's picture (and so that the ready probe's document queries see the grids).
floor = st.components.v2.component("floor_grids", html='<div class="floor-root"></div>', js=JS, isolate_styles=False)
st.title("Floor")
# About the size of the real picture's payload, so the element's data costs what the app's does.
floor(key="floor", data={"json": "x" * 20000})
