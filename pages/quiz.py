"""Predict, then reveal: mark where the gradient lands in x and how much, then see it cell by cell."""

import streamlit as st

from ui import classroom, explorer, presentation, presets, quiz, shell, state
from ui.model import pool_view

shell.leave_pages_folder_mode()

st.title("Predict, then reveal")
presentation.key_sentence(
    "dL/dx is hidden. Work out which cells of x receive gradient and how much: each window sends its "
    "dL/dy[i, j] to its winner, and a cell that wins several windows adds up what they send. Mark cells by "
    "clicking x or type amounts in the table, then press Reveal."
)

explorer.link_warnings()
presets.open_quiz_on_question_one()
presets.quiz_sequence(quiz.reset_answer)

pooled = pool_view(state.view())
if isinstance(pooled, str):
    st.error(f"No question yet: {pooled}", icon="⚠️")
    st.stop()
explorer.dy_notices(pooled)
if pooled.problem:
    st.warning(f"Using the last settings that fit ({pooled.window.describe()}): {pooled.problem}", icon="⚠️")

quiz.start_question(pooled)
if classroom.class_revealed(pooled.x.shape):  # the teacher revealed it to the whole class
    st.session_state[quiz.REVEALED] = True
quiz.action_buttons(pooled)
picture_column, answer_column = quiz.question_columns(pooled)
with answer_column:  # first, so that x shows what was just typed
    answer = quiz.answer_editor(pooled)
with picture_column:
    quiz.x_panel(pooled, answer)
classroom.quiz_round(pooled.x.shape, answer)
if quiz.revealed():
    quiz.reveal_panel(pooled, answer)
quiz.share_note()
