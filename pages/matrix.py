"""Matrix view: max pooling as one matrix S, with y = S x forward and dL/dx = Sᵀ dL/dy backward."""

import streamlit as st

from ui import explorer, matrix, presentation, shell, state

shell.leave_pages_folder_mode()

st.title("Matrix view")
presentation.key_sentence(
    "Once the winners are known, max pooling is a linear map: y = S x, where S has one row per output cell "
    "and one column per input cell, with a 1 where a window's winner sits. The backward pass multiplies by "
    "the transpose: dL/dx = Sᵀ dL/dy, so each column of S collects the gradient its input cell receives."
)

explorer.link_warnings()

state.seed_widget("matrix_mode", state.link_choice(matrix.MODE, ("2d", "1d"), "2d"))
mode = st.radio(
    "Pool",
    ["2d", "1d"],
    key="matrix_mode",
    horizontal=True,
    format_func={"2d": "the grid x (2-D)", "1d": "a vector (1-D)"}.get,
)
state.set_extra(**{matrix.MODE: "1d" if mode == "1d" else None})

if mode == "2d":
    pooled = explorer.editors_and_pool("matrix_editors")
    case = matrix.grid_case(pooled)
else:
    case = matrix.vector_case()
    if case is None:
        st.stop()

row = matrix.selected_row(case)
matrix.matrix_figure(case, row)
matrix.row_box(case, row)
st.markdown("**Forward:** the selected row of S times x gives that output.")
st.latex(matrix.row_equation(case, row))
st.markdown("**Backward:** for each input cell of the selected window, its column of S times dL/dy.")
lines, note = matrix.column_equations(case, row)
for line in lines:
    st.latex(line)
if note:
    st.caption(note)
ok, sentence = matrix.forward_check(case)
(st.success if ok else st.warning)(sentence, icon=":material/check_circle:" if ok else ":material/warning:")
matrix.grid_figures(case, row)

products = matrix.full_products(case, row)
if products:
    st.subheader("The whole product, with numbers")
    for line in products:
        st.latex(line)
else:
    st.caption(f"S is {case.n_out}×{case.n_in}: too big to print in full; the figure and the equations above show it.")
