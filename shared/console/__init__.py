"""The operator console's domain: fleet status, silent meters, audit trail, dead letters."""
