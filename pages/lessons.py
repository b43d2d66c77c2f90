"""Lessons: eight short steps through the backward pass of max pooling, each checked live on its example."""

import streamlit as st

from ui import lessons, presentation, shell

shell.leave_pages_folder_mode()

st.title("Lessons")
presentation.key_sentence(
    "Why the gradient of max pooling lands where it does, in eight short steps. Every number on these pages is "
    "computed by the pooling core on the lesson's example, and each example opens in the explorer."
)

n, problem = lessons.current_number()
lessons.link_warnings(problem)
lessons.header(n)
lessons.body(n)
lessons.footer(n)
