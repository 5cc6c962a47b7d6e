"""Self-tests: each fake behaves as its vendor documents, driven over real HTTP with httpx."""
