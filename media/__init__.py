"""The server's media plane: ICE configuration (``ice``) and the forwarding unit (``plane``). Of
the server's packages, the only one that may import aiortc."""
