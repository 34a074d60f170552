"""Analysis: the metric catalogue, statistics, the benchmark engine, peer groups, the tracker and published data."""
