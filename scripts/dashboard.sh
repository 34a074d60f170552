#!/usr/bin/env bash
# The one command that runs the dashboard on a fresh machine: environment, install, demo data
# (when the database does not exist yet), then Streamlit on http://localhost:${PORT:-8501}.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh requirements.txt
database="${DSCO_DB:-data/dsco.duckdb}"
if [ ! -f "$database" ]; then
  .venv/bin/python -m benchmark demo --db "$database"
fi
export DSCO_DB="$database"
exec .venv/bin/python scripts/serve.py --server.address localhost --server.port "${PORT:-8501}"
