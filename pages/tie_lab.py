"""Tie lab: what each tie rule sends back when a window's maximum is shared, and which rules are right."""

import streamlit as st

from ui import explorer, presentation, shell, state, tie_lab
from ui.model import pool_view

shell.leave_pages_folder_mode()

st.title("Tie lab")
presentation.key_sentence(
    "When two or more cells share a window's maximum, max has a kink and no single derivative. "
    "Here the five tie rules run on the same x and dL/dy: which are subgradients, how much gradient each sends, "
    "and what finite differences measure at the kink."
)

explorer.link_warnings()

pooled = pool_view(state.view())
if tie_lab.open_on_a_tie(pooled if not isinstance(pooled, str) else None):
    pooled = pool_view(state.view())
tie_lab.preset_buttons(pooled if not isinstance(pooled, str) else None, state.view().x.shape)
pooled = explorer.editors_and_pool("tie_lab_editors")

# Sections are laid out first and filled below: the step control sits with the finite differences,
# but everything else depends on it, so it runs first.
overview, rules, windows, differences, probe, libraries = (st.container() for _ in range(6))
with differences:
    st.header("What finite differences measure")
    step = tie_lab.step_control(pooled)
lab = tie_lab.analyse(pooled, step)
cell = tie_lab.probe_cell(pooled, lab)

with overview:
    tie_lab.ties_summary(pooled, lab)
    tie_lab.x_figure(pooled, lab, cell)
with rules:
    st.header("Five tie rules side by side")
    tie_lab.policy_figures(pooled, lab, cell)
    tie_lab.summary_table(lab)
    mass, _ = st.columns([3, 2], gap="large")
    with mass:
        tie_lab.mass_chart(lab)
with windows:
    st.subheader("Each window's gradient mass against its dL/dy")
    tie_lab.window_mass_table(pooled, lab)
with differences:
    tie_lab.step_caption(lab)
    tie_lab.difference_figures(pooled, lab, cell)
with probe:
    st.header("Probe one cell: the kink")
    tie_lab.probe_panel(pooled, lab, cell)
with libraries:
    st.header("What the libraries do")
    tie_lab.frameworks_note()
