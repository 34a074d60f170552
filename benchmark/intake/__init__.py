"""Returns in: the data standard, validation, storing returns, templates and the demo network."""
