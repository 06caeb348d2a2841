"""Support chat gRPC service (docs/contracts.md, chat)."""
