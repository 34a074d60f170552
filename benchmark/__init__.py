"""The domain of the DSCO benchmarking dashboard: data standard, validation, storage, metrics,
comparisons and exports. Nothing here imports streamlit; the pages only call into it."""
