"""Start the dashboard: `python scripts/serve.py [streamlit options]`.

app.py declares its pages with st.navigation, but Streamlit also treats a folder called pages/
beside the entry point as an old-style page list until the entry point has run once: a fresh
server whose first visitor follows a deep link (/advice?la=202) would run that page alone,
without app.py's navigation and page settings. Saying up front that the folder is not an
old-style page list makes every first visit go through app.py.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

PagesManager.uses_pages_directory = False
app = Path(__file__).resolve().parent.parent / "app.py"
sys.argv = ["streamlit", "run", str(app), *sys.argv[1:]]
sys.exit(cli.main())
