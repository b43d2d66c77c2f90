"""Entry point (``streamlit run app.py``): page config, the shared sidebar controls, and navigation."""

import streamlit as st

from ui import controls, state

st.set_page_config(page_title="Max pooling backprop explainer", page_icon="▦", layout="wide")

pages = [
    st.Page("pages/explorer.py", title="Explorer", icon="🔍", default=True),
]
page = st.navigation(pages)
controls.sidebar_controls()
page.run()
state.sync_url()
