"""Returns in: reading and validating files, storing and withdrawing returns, commentary and templates."""
