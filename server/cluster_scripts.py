"""The cluster's liveness in Redis (``server.cluster``): the scripts of a node's heartbeat and
of another node's reap of it, each one step, so that a beat sees either its renewal first or
the reap (docs/ARCHITECTURE.md, "A process that is gone")."""

from __future__ import annotations


class ReapIncomplete(Exception):
    """Raised by ``on_node_lost``: someone in these sessions could not be disconnected yet."""

    def __init__(self, sessions: list[str]) -> None:
        super().__init__(f"{len(sessions)} sessions left to reap")
        self.sessions = sessions


# A beat (KEYS: key, nodes, reap mark, list; ARGV: node, key lifetime in ms, mode), refused
# ({-1}) in mode "beat" once the key ran out and the node was reaped, in mode "join" (at start,
# or taken for gone) until its reap is over; else {joined the cluster just now, has a list}.
BEAT = """
local member = redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1
local marked = redis.call('EXISTS', KEYS[3]) == 1
if (ARGV[3] == 'beat' and redis.call('EXISTS', KEYS[1]) == 0 and (marked or not member))
    or (ARGV[3] == 'join' and (marked or member)) then
  return {-1, 0}
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return {redis.call('SADD', KEYS[2], ARGV[1]), redis.call('EXISTS', KEYS[4])}
"""
# Take a node's reap (KEYS: key, nodes, reap lock, reap mark; ARGV: node, this node, lock ms)
# only while its key is gone: its beat sees either the key renewed first or the reap marked.
CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0
    or not redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[4], ARGV[2])
return 1
"""
# A reap ends (KEYS: list, nodes, reap lock, reap mark; ARGV: node, this node, ms before another
# try, "1" when nobody is left, the sessions reaped...): the node leaves the cluster, or the
# sessions reaped leave its list and the lock lasts until the next try.
FINISH = """
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('SREM', KEYS[2], ARGV[1])
  if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
  return
end
for i = 5, #ARGV do redis.call('SREM', KEYS[1], ARGV[i]) end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
"""
