"""Max vs average: the same x and dL/dy through both poolings, and where each sends the gradient."""

import streamlit as st

from ui import explorer, max_vs_avg, presentation, shell, text

shell.leave_pages_folder_mode()

st.title("Max vs average pooling")
presentation.key_sentence(
    "The same x and dL/dy through both. Max pooling sends each window's whole gradient to its winner and "
    "nothing to the rest; average pooling spreads it evenly, dL/dy divided by the window size, over every cell "
    "of the window. Both hand on all of dL/dy, except what average pooling gives to padding."
)

explorer.link_warnings()

pooled = explorer.editors_and_pool("mva_editors")

count_include_pad = max_vs_avg.count_include_pad_control(pooled.window.padding != (0, 0))
comparison = max_vs_avg.compare(pooled, count_include_pad)
if isinstance(comparison, str):
    st.error(comparison, icon="⚠️")
    st.stop()
for note in comparison.notes:
    st.info(note, icon=":material/info:")

cell = explorer.selection(pooled)
max_vs_avg.figures(comparison, cell)

st.subheader("The selected window")
max_column, avg_column = st.columns(2, gap="large")
with max_column:
    st.markdown("**Max pooling**")
    st.markdown(text.window_story(pooled, *cell))
    if pooled.res.indices[cell] >= 0:
        for line in text.window_math(pooled, *cell):
            st.latex(line)
with avg_column:
    st.markdown("**Average pooling**")
    lines, who = max_vs_avg.avg_window_math(comparison, max_vs_avg.avg_cell(comparison, cell))
    for line in lines:
        st.latex(line)
    st.caption(who)
explorer.selection_box(pooled, cell)

st.subheader("Gradient mass")
mass_column, table_column = st.columns([2, 3], gap="large")
with mass_column:
    max_vs_avg.mass_chart(comparison)
with table_column:
    max_vs_avg.totals_table(comparison)
    st.markdown(max_vs_avg.mass_story(comparison))
