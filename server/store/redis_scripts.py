"""The Lua scripts of the Redis session store (``server.store.redis``, where each is used and
the keys and arguments are passed). Each runs atomically in Redis.

- ``RESERVE``: take a session's lease (or mark it wanted and say so on the session's channel),
  and return the log entries the caller's replica lacks, or the whole session.
- ``APPEND``: append a command's entry (or a new snapshot) if the caller holds the lease and its
  replica is at the last entry, publish the command, and keep the lease for the caller (2) unless
  it is wanted, else give it back (1); 0 when refused; with how many bytes of entries the log
  holds since its snapshot (``since``) and the snapshot's size. A snapshot given with its entry
  is taken only when due by ``since`` (every process writing the session agrees). The log
  keeps the entries since the snapshot before the last (``logfrom``: the entry the log's first
  follows), so that a replica a little behind when a snapshot is taken still gets the entries
  it lacks, and delivers their events; a snapshot given without its entry (an erasure, the
  end of the session) empties the log.
- ``RELEASE``: give the lease back if the caller holds it.
- ``LOAD``: the session as Redis holds it; ``LATEST``: what a replica at an entry lacks.
- ``ADD``: a new session, and its place in the index by creation time.
- ``DELETE``: a session, its place in the index, and the news of it on its channel; given the
  number of the last entry it was judged unused at, only if it is still at that entry and nobody
  holds its lease (a change under way): 0 when kept.
"""

_SINCE_ENTRY = """
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local have = tonumber(ARGV[0])
if have == seq then return {1, seq} end
local h = redis.call('HMGET', KEYS[1], 'base', 'logfrom')
local base = tonumber(h[1])
local from = tonumber(h[2] or h[1])
if have < from or have > seq then
  return {2, seq, redis.call('HGET', KEYS[1], 'snap'), base,
          redis.call('LRANGE', KEYS[2], base - from, -1)}
end
return {3, seq, redis.call('LRANGE', KEYS[2], have - from, -1)}
"""
RESERVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[1] then
  if not redis.call('GET', KEYS[4]) then redis.call('PUBLISH', KEYS[5], ARGV[4]) end
  redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
  return {0, redis.call('PTTL', KEYS[3])}
end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
""" + _SINCE_ENTRY.replace("ARGV[0]", "ARGV[3]")
# What a replica at entry ARGV[1] lacks: the session's last entry's number alone when it has
# them all (1), the snapshot and the whole log when the log no longer reaches back to it (2),
# else the entries since (3); {-1} when there is no such session.
LATEST = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
""" + _SINCE_ENTRY.replace("ARGV[0]", "ARGV[1]")
APPEND = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {0} end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if seq ~= tonumber(ARGV[2]) then return {0} end
seq = seq + 1
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '0')
local snap = ARGV[5]
if snap ~= '' and ARGV[3] ~= '' then
  local size = redis.call('HSTRLEN', KEYS[1], 'snap')
  if since < math.max(tonumber(ARGV[8]) * size, tonumber(ARGV[7])) then
    snap = ''  -- not due by what the log holds (another process took one meanwhile)
  end
end
if snap ~= '' and ARGV[3] ~= '' then
  local h = redis.call('HMGET', KEYS[1], 'base', 'logfrom')
  local base = tonumber(h[1])
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], base - tonumber(h[2] or h[1]), -1)
  redis.call('HSET', KEYS[1], 'snap', snap, 'base', seq, 'seq', seq, 'logfrom', base, 'since', 0)
elseif snap ~= '' then
  redis.call('HSET', KEYS[1], 'snap', snap, 'base', seq, 'seq', seq, 'logfrom', seq, 'since', 0)
  redis.call('DEL', KEYS[2])
else
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[1], 'seq', seq, 'since', since + #ARGV[3])
end
local kept = {1, tonumber(redis.call('HGET', KEYS[1], 'since')),
              redis.call('HSTRLEN', KEYS[1], 'snap')}
redis.call('PUBLISH', KEYS[4], ARGV[4])
if ARGV[6] ~= '0' and redis.call('EXISTS', KEYS[5]) == 0 then
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  kept[1] = 2
  return kept
end
redis.call('DEL', KEYS[3])
return kept
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
LOAD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local h = redis.call('HMGET', KEYS[1], 'seq', 'snap', 'base', 'logfrom')
local base = tonumber(h[3])
local from = tonumber(h[4] or h[3])
return {tonumber(h[1]), h[2], base, redis.call('LRANGE', KEYS[2], base - from, -1)}
"""
ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'snap', ARGV[1], 'base', 0, 'seq', 0, 'created', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
DELETE = """
if ARGV[1] ~= '' then
  local seq = redis.call('HGET', KEYS[1], 'seq')
  if not seq or tonumber(seq) ~= tonumber(ARGV[1]) or redis.call('EXISTS', KEYS[3]) == 1 then
    return 0
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('PUBLISH', KEYS[5], ARGV[3])
return 1
"""
