"""Entry point: ``streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="Max pooling backprop explainer", layout="wide")
st.title("Back-propagation through max pooling")
st.write("The explorer is on its way.")
