"""Support chat domain: conversations, sequenced messages and read watermarks."""
