"""The Lua scripts of the Redis board store (``server.whiteboard.redis_store``, whose docstring
describes the keys): each runs in Redis at once, nothing else in between."""

# Whether a write of a copy of the board ``board`` read at the birth ``born`` ('' or '0': not
# checked) is refused: the board's birth is another (the one it was read at was deleted); and
# the board's birth, drawn when it has none.
_FENCE = """
local function fenced(board, born)
  if born == '' or born == '0' then return false end
  return tonumber(redis.call('HGET', board, 'b') or '0') ~= tonumber(born)
end
local function birth(board, versions)
  local born = redis.call('HGET', board, 'b')
  if not born then
    born = redis.call('INCR', versions)
    redis.call('HSET', board, 'b', born)
  end
  return tonumber(born)
end
"""
# Reads a board for a copy: its snapshot ('' : none), its birth and its log. A board with none
# stored is given a birth now (the copy's fence: a deletion takes it, and it is never drawn
# again), its room listed among the session's copies and the session in the index, so that a
# deletion of the board or of the session, or the retention rule, finds it. KEYS: the board, its
# log, the session's copies, the sessions' index, the versions' counter; ARGV: the room, now,
# the session.
LOAD = """
local got = redis.call('HMGET', KEYS[1], 'snap', 'b')
local born = got[2]
if not born then
  born = redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[1], 'b', born)
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], 'NX', ARGV[2], ARGV[3])
end
return {got[1] or '', tonumber(born), redis.call('LRANGE', KEYS[2], 0, -1)}
"""
# Appends an update. KEYS: the board, its log, the session's rooms, the sessions' index, the
# board's tombstone, the versions' counter; ARGV: the update, the room, now, the session, the
# fence (the birth the copy was read at). Returns the board's birth, or 0: refused
# (``fenced``), nothing written.
APPEND = _FENCE + """
if fenced(KEYS[1], ARGV[5]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSETNX', KEYS[1], 'base', 0)
if redis.call('HEXISTS', KEYS[1], 'v') == 0 then
  redis.call('HSET', KEYS[1], 'v', redis.call('INCR', KEYS[6]))
end
local born = birth(KEYS[1], KEYS[6])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], 'NX', ARGV[3], ARGV[4])
return born
"""
# Replaces the snapshot and drops the entries it holds, if the version did not move. KEYS: as
# APPEND's; ARGV: the version read (-1: no board), how many entries it folded, the new snapshot,
# the room, now, the session, the fence. Returns 1: kept; 0: the version moved; -1: the board
# is deleted (nothing written); -2: refused (``fenced``), nothing written.
COMPACT = _FENCE + """
if fenced(KEYS[1], ARGV[7]) then return -2 end
local v = redis.call('HGET', KEYS[1], 'v')
local expected = tonumber(ARGV[1])
if not v then
  if expected >= 0 or redis.call('EXISTS', KEYS[5]) == 1 then return -1 end
  v = -1
end
v = tonumber(v)
if v ~= expected then return 0 end
local base = tonumber(redis.call('HGET', KEYS[1], 'base') or '0')
local covered = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'snap', ARGV[3], 'base', base + covered, 'v',
           redis.call('INCR', KEYS[6]))
birth(KEYS[1], KEYS[6])
if covered > 0 then redis.call('LTRIM', KEYS[2], covered, -1) end
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], 'NX', ARGV[5], ARGV[6])
return 1
"""
_HAS = r"""
local function has(list, mark)
  for m in string.gmatch(list, '[^\n]+') do
    if m == mark then return true end
  end
  return false
end
"""
WRITE_META = _HAS + r"""
local P, sid, pair = ARGV[1], ARGV[2], ARGV[5]
local first = redis.call('EXISTS', KEYS[1]) == 0
redis.call('HSET', KEYS[1], 'title', ARGV[3], 'created_at', ARGV[4])
if pair ~= '' then redis.call('HSET', KEYS[1], 'pair_key', pair) end
local i = 7
for _ = 1, tonumber(ARGV[6]) do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  local room = ARGV[i]
  local cur = redis.call('HGET', KEYS[3], room) or ''
  for mark in string.gmatch(ARGV[i + 1], '[^\n]+') do
    if not has(cur, mark) then
      if cur == '' then cur = mark else cur = cur .. '\n' .. mark end
    end
    redis.call('SADD', P .. 'wk:' .. mark, sid)
  end
  redis.call('HSET', KEYS[3], room, cur)
  i = i + 2
end
redis.call('ZADD', KEYS[4], ARGV[4], sid)
if first and pair ~= '' then redis.call('RPUSH', P .. 'wp:' .. pair, sid) end
return 1
"""
# Deletes boards of a session (ARGV[3] == '1': all of it) and, once none is left, the session:
# its meta, its place in the index (once no copy's birth is left either), in the mark sets and
# in its pair's list. A board's birth goes with it, stored or drawn for a copy read while none
# was (``copies``): every copy read before is refused from then on. Each board's deletions are
# counted (``gone``), for a while.
DELETE = _HAS + r"""
local P, sid = ARGV[1], ARGV[2]
local meta, rooms, copies = P .. 'wm:' .. sid, P .. 'wr:' .. sid, P .. 'wc:' .. sid
local names, drawn = meta .. '/names', meta .. '/drawn'
local function board(room) return P .. 'wb:' .. sid .. '/' .. room end
local gone_ms = ARGV[4]
local function gone(room)
  redis.call('INCR', board(room) .. '/gone')
  redis.call('PEXPIRE', board(room) .. '/gone', gone_ms)
end
local found = 0
local dropped = {}
local targets = {}
if ARGV[3] == '1' then
  targets = redis.call('SUNION', rooms, copies)
  found = (redis.call('EXISTS', meta) + redis.call('SCARD', rooms) > 0) and 1 or 0
else
  for i = 5, #ARGV do targets[#targets + 1] = ARGV[i] end
end
for _, room in ipairs(targets) do
  if ARGV[3] ~= '1' and redis.call('SISMEMBER', rooms, room) == 1 then found = found + 1 end
  redis.call('DEL', board(room), board(room) .. '/log')
  gone(room)
  redis.call('SREM', rooms, room)
  redis.call('SREM', copies, room)
  local marks = redis.call('HGET', drawn, room)
  if marks then dropped[#dropped + 1] = marks end
  redis.call('HDEL', drawn, room)
end
local whole = redis.call('SCARD', rooms) == 0
local kept = whole and '' or table.concat(redis.call('HVALS', drawn), '\n')
for _, marks in ipairs(dropped) do
  for mark in string.gmatch(marks, '[^\n]+') do
    if not has(kept, mark) then redis.call('SREM', P .. 'wk:' .. mark, sid) end
  end
end
if whole then
  for _, marks in ipairs(redis.call('HVALS', drawn)) do
    for mark in string.gmatch(marks, '[^\n]+') do redis.call('SREM', P .. 'wk:' .. mark, sid) end
  end
  local pair = redis.call('HGET', meta, 'pair_key')
  if pair then redis.call('LREM', P .. 'wp:' .. pair, 0, sid) end
  redis.call('DEL', meta, names, drawn, rooms)
  -- the births of copies of its other boards, read while none was stored, keep it listed:
  -- the retention rule deletes them with it
  if redis.call('SCARD', copies) == 0 then redis.call('ZREM', KEYS[1], sid) end
end
return found
"""
