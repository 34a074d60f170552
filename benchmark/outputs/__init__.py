"""Outputs: charts, disclosure control, exports, views and meeting packs."""
