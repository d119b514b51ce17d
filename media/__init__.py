"""Media for Tandem: ICE configuration now; the only package that may import aiortc."""
