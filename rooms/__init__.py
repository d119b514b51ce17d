"""Tandem's domain: sessions, participants, rooms and chat, with no I/O.

Commands go in, lists of frozen events come out; time is always passed in.
"""
