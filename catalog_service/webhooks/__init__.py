"""GitHub webhooks: verified deliveries, deduplicated, dispatched to background work."""
