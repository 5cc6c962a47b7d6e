"""The core of the connections hub: tables, lifecycle, limits, vault, catalog and services.

Everything else (the GraphQL API, the OAuth callback, the workers) calls into this package;
it imports none of them.
"""
