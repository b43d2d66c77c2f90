"""Streamlit helpers shared by the pages; ``ui.codec`` itself is pure Python and numpy."""
