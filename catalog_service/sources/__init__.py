"""Adapters that bring manifest files in from outside."""
