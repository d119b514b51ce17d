"""Tandem seen from outside, for tests and benchmarks: a participant without a browser, the real
server run as a child process, and the admin REST calls. Not part of the server: nothing in
rooms/, server/ or media/ imports it."""
