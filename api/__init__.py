"""The GraphQL and HTTP face of the service: translates requests to core services and back."""
