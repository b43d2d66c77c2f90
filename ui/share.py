"""The copyable link box pages show under a view: one bounded box, however long the link.

A tiny component (a read-only text box and a copy button) instead of ``st.code``: ``st.code`` made
the browser load Streamlit's 1.5 MB syntax-highlighter bundle for one line of text, on a link's
first paint and again with every edit of the picture, whose fragment rerun re-sends the box.
"""

from __future__ import annotations

import streamlit as st

from ui import state

LINK_BOX_HEIGHT = 84
"""Pixels: about two wrapped lines of the link show; a longer link (a 40×40 grid's is thousands of
characters) scrolls inside the box instead of stretching the page, and the copy button copies all of it."""

LINK_LABEL = "Link to this view"
"""The text box's accessible name (and its visible label when a page gives none)."""

_HTML = f"""
<div class="lb-root">
  <label class="lb-label" for="lb-link"></label>
  <div class="lb-row">
    <textarea id="lb-link" class="lb-link" readonly spellcheck="false" aria-label="{LINK_LABEL}"></textarea>
    <button type="button" class="lb-copy">Copy link</button>
  </div>
  <span class="lb-status" role="status" aria-live="polite"></span>
</div>
"""

# Theme colours come from the --st-* properties Streamlit sets around a component (light and dark alike).
_CSS = f"""
.lb-root {{ font-family: var(--st-font, sans-serif); color: var(--st-text-color, inherit); }}
.lb-label {{ display: block; margin: 0 0 0.35rem 0; font-size: 1rem; }}
.lb-label:empty {{ display: none; }}
.lb-row {{ display: flex; gap: 0.5rem; align-items: flex-start; }}
.lb-link {{ flex: 1 1 auto; box-sizing: border-box; height: {LINK_BOX_HEIGHT}px; max-height: {LINK_BOX_HEIGHT}px;
  resize: none; overflow-y: auto; word-break: break-all; white-space: pre-wrap; padding: 0.5rem 0.75rem;
  font-family: var(--st-code-font, monospace); font-size: 0.8rem; line-height: 1.4;
  color: var(--st-code-text-color, var(--st-text-color, inherit));
  background: var(--st-code-background-color, var(--st-secondary-background-color, #f0f2f6));
  border: 1px solid var(--st-border-color, #d5dae5); border-radius: var(--st-base-radius, 0.5rem); }}
.lb-link:focus-visible, .lb-copy:focus-visible {{ outline: 2px solid var(--st-primary-color, #0072B2);
  outline-offset: 1px; }}
.lb-copy {{ flex: 0 0 auto; padding: 0.4rem 0.75rem; font: inherit; font-size: 0.9rem; cursor: pointer;
  color: var(--st-text-color, inherit); background: var(--st-background-color, #fff);
  border: 1px solid var(--st-border-color, #d5dae5); border-radius: var(--st-button-radius, 0.5rem); }}
.lb-copy:hover {{ border-color: var(--st-primary-color, #0072B2); color: var(--st-primary-color, #0072B2); }}
.lb-status {{ display: block; min-height: 1.2em; font-size: 0.8rem; opacity: 0.8; }}
"""

# The box shows the link the server sent with this run (so it follows every edit and fragment rerun);
# focusing it selects all of it, so Ctrl+C copies the whole link too. Clipboard access needs a secure
# context (https or localhost): elsewhere the selected text and the status line say what to do.
_JS = """
export default function ({ parentElement, data }) {
  const box = parentElement.querySelector(".lb-link");
  const button = parentElement.querySelector(".lb-copy");
  const status = parentElement.querySelector(".lb-status");
  parentElement.querySelector(".lb-label").textContent = data.label || "";
  if (box.value !== data.link) {
    box.value = data.link;
    status.textContent = "";
  }
  if (!box.dataset.wired) {
    box.dataset.wired = "1";
    box.addEventListener("focus", () => box.select());
    button.addEventListener("click", async () => {
      box.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(box.value);
        copied = true;
      } catch (err) {
        try { copied = document.execCommand("copy"); } catch (err2) { copied = false; }
      }
      status.textContent = copied ? "Link copied." : "The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.";
    });
  }
}
"""

_link_box = st.components.v2.component("maxpool_link_box", html=_HTML, css=_CSS, js=_JS)


def link_box(label: str | None = None, *, key: str = "link_box") -> None:
    """The link to this view in a read-only box of bounded height, with a copy button, and ``label`` above it."""
    _link_box(key=key, data={"link": state.share_link(), "label": label or ""}, height="content")
