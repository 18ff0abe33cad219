"""Slack adapter: slack-bolt on the shared aiohttp server, or Socket Mode."""
