"""Start the dashboard: `python scripts/serve.py [streamlit options]`.

app.py declares its pages with st.navigation, but Streamlit also treats a folder called pages/
beside the entry point as an old-style page list until the entry point has run once: a fresh
server whose first visitor follows a deep link (/advice?la=202) would run that page alone,
without app.py's navigation and page settings. Saying up front that the folder is not an
old-style page list makes every first visit go through app.py.

While the server starts, a background thread builds the benchmark tables (and imports what the pages
use), so that the first visitor after a restart does not wait several seconds for them, and starts the
reading copy the command line's read-only commands use while the dashboard holds the database.
"""

import sys
import threading
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def warm_up() -> None:
    from benchmark import service  # noqa: F401  (imported for their import time)
    from benchmark.analysis import engine, published_measures
    from benchmark.db import DatabaseBusy, open_database
    from benchmark.intake import reading
    from benchmark.outputs import disclosure

    reading.prewarm()  # the process that reads uploads, started before the first one arrives
    try:
        database = open_database()
        disclosure.lettering_key(database)  # made before the copy: a command reading the copy cannot make it
        database.serve_readers()  # read-only commands work while the dashboard holds the database
        engine.warm(database)
        published_measures.warm(database)
    except DatabaseBusy as busy:  # the pages say so to every visitor; nothing to build meanwhile
        print(f"Benchmark tables not built ahead: {busy}", file=sys.stderr)


threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
PagesManager.uses_pages_directory = False
sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
sys.exit(cli.main())
