"""``catalog-service render``: every valid manifest, into what Argo CD deploys
(docs/architecture.md §6.9). The rendering itself is pure
(:mod:`catalog_service.domain.deployment`); here the repository is read and the files written."""
