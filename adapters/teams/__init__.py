"""Microsoft Teams adapter: Bot Framework (botbuilder) on the shared aiohttp server."""
