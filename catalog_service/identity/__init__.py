"""Who calls the actions, as Backstage vouches for it: the user tokens Backstage signs, checked
against its published keys (``auth.backstage``; docs/self-service.md, "Who asks")."""
