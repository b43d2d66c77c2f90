"""Launcher for the app: ``maxpool-explainer`` (or ``python -m maxpool_explainer``) runs it with Streamlit.

The maths lives in ``pooling`` (numpy only), the figures in ``figures`` and the
Streamlit helpers in ``ui``; this package only finds the app's entry files and starts them.
"""
