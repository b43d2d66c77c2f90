"""Entry point (``streamlit run app.py``): page config, the shared sidebar controls, and navigation."""

from pathlib import Path

import streamlit as st

from ui import nodelay, presentation, shell  # noqa: F401 - importing nodelay turns Nagle's algorithm off

shell.leave_pages_folder_mode()
# The tab's icon is a file the app's own server hands out (Streamlit's media endpoint): a material icon or
# an emoji would be fetched from Google's or a CDN's servers, out of reach in a classroom without internet.
ICON = Path(shell.__file__).with_name("icon.png")  # ui/icon.png, in a checkout and in a wheel alike
st.set_page_config(page_title="Max pooling backprop explainer", page_icon=str(ICON), layout="wide")

# (section, file, title, icon). A page is listed once its file exists.
PAGES = [
    ("Explore", "pages/explorer.py", "Explorer", ":material/grid_on:"),
    ("Explore", "pages/step_through.py", "Step through", ":material/play_circle:"),
    ("Teach", "pages/lessons.py", "Lessons", ":material/school:"),
    ("Teach", "pages/quiz.py", "Predict, then reveal", ":material/quiz:"),
    ("Edges", "pages/tie_lab.py", "Tie lab", ":material/balance:"),
    ("Edges", "pages/matrix.py", "Matrix view", ":material/table:"),
    ("Edges", "pages/network.py", "Inside a network", ":material/hub:"),
    ("Edges", "pages/max_vs_avg.py", "Max vs average", ":material/compare_arrows:"),
    ("Edges", "pages/images.py", "Real images", ":material/image:"),
    ("Edges", "pages/code.py", "Reproduce in code", ":material/code:"),
    ("Beyond", "pages/smooth_max.py", "Smooth max and the limit", ":material/thermostat:"),
    ("Beyond", "pages/unpool.py", "Unpooling switches", ":material/swap_vert:"),
    ("Beyond", "pages/adaptive.py", "Global and adaptive", ":material/aspect_ratio:"),
    ("Beyond", "pages/one_d.py", "1-D view", ":material/linear_scale:"),
    ("Beyond", "pages/frameworks.py", "Frameworks side by side", ":material/compare:"),
]

HERE = Path(__file__).parent
sections: dict[str, list] = {}
files: dict[str, str] = {}
for section, path, title, icon in PAGES:
    if (HERE / path).exists():
        page = st.Page(path, title=title, icon=icon, default=path == "pages/explorer.py")
        sections.setdefault(section, []).append(page)
        files[page.url_path] = path
page = st.navigation(sections)
presentation.inject_css()
shell.frame(page.run, page_file=files[page.url_path])
