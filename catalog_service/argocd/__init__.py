"""Argo CD's REST API (docs/argocd.md): the ``argocd:`` settings, the resource tree read as
plain data, and the client behind a small protocol (``client.ArgoCD``)."""
