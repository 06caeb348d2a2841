"""Ingestion: parse measurement messages, store readings, update hourly totals, open alerts."""
