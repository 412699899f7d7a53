"""Adoption: the history of manifests from git, and the figures of ``GET /api/v1/adoption``."""
