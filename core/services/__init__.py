"""Use cases: the only place where storage, jobs, channels, providers and connectors meet."""
