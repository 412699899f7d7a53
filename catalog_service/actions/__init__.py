"""Self-service actions: manifests written and edited as a person would, pushed as branches."""
