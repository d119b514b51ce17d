"""The server's media plane: ICE configuration now. Of the server's packages, the only one that may
import aiortc."""
