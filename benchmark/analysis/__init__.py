"""Analysis: statistics, the benchmark engine, peer groups, the quarterly cycle, the tracker and published data."""
