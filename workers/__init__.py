"""Background work: arq tasks, the scheduler, token refresh and the source clients."""
