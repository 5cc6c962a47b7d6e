"""Self-tests of the Dynamics, Zoho, Pipedrive and Freshdesk fakes: each, driven over real
HTTP with httpx, behaves as its vendor's published documentation says."""
