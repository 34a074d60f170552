"""The ground floor every stage imports from: the data standard, the metric and published-measure
catalogues, the disclosure rules and the statistical thresholds. Nothing here imports a stage."""
