"""The pure core: manifests, their problems, and the Backstage entities they become. No I/O here."""
