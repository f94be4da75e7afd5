"""The shared sidebar says where the HTTP streaming API is served."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def test_the_sidebar_links_the_api_its_demo_and_its_description() -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()  # the first run shows the shared sidebar
    assert not app.exception
    caption = next(c.value for c in app.sidebar.caption if "HTTP streaming API" in c.value)
    # AppTest has no browser URL, so the API is given at the server's own port.
    # The address itself is a link, to the API's index (the UI would answer "Page not found" on its own).
    assert "(emulator backend)" in caption and "[`http://localhost:8501/api`](http://localhost:8501/api/)" in caption
    assert "[demo](http://localhost:8501/api/demo)" in caption
    assert "[OpenAPI](http://localhost:8501/api/openapi.json)" in caption
