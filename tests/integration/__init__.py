"""Tests against a real cluster: skipped unless the Pulumi CLI and a kind cluster are available."""
