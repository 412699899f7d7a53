"""The HTTP layer: thin routes over the ingestor, errors mapped in one place."""
