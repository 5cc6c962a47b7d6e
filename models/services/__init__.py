"""Service functions: each business operation once, for the API, OAuth callback and workers."""
