"""GitHub: webhook signatures and a small client for the REST endpoints the service uses."""
