"""Merged manifest pull requests: recorded from a webhook, the reconcile job and the backfill."""
