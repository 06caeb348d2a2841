"""Support chat gRPC service (ARCHITECTURE §3.4)."""
