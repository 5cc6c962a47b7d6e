"""Self-tests of the Gainsight PX and Zuora fakes: they behave as their vendors document."""
