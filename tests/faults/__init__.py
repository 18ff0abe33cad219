"""Faults survived by several replicas: a replica killed, PostgreSQL restarted, Slack down."""
