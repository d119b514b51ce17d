"""Tandem's adapters: aiohttp routes and socket.io events around the ``rooms`` domain."""
