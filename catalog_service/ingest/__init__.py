"""Ingest: git tree to catalog snapshot (the ingestor), when it runs (the refresher), the snapshot
served, who hears of a new one (listeners: Backstage events), and the heap settled after it."""
