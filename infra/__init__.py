"""Build and deployment tools (the Bicep templates live in infra/bicep)."""
