import { luaScript } from './script.js';

/**
 * The Lua scripts of the Redis stores. Each acquire, release and renewal is one of them, run
 * atomically on the server with EVALSHA, and every script reads the time from the server's
 * `TIME`, never from a client clock.
 */

/**
 * Shared prelude: `now` in milliseconds (with microseconds) and the epoch, the incarnation of
 * the limiter's state that the server holds (a hash: `id`, `born`, `grace`, `seq`).
 *
 * A client passes the epoch it last saw. When it differs from the server's, the server has lost
 * the state (restarted without persistence, keys deleted or evicted) while that client was
 * using it: leases or grants may still be running that the server has forgotten, so nothing is
 * granted until `born + graceMs` (one `leaseMs` for capacity, one `interval` for rate). The
 * epoch hash has no expiry (a few bytes per limiter key): if it expired while clients still
 * used it, they would take that for lost state and pause.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function epochOf(key, known, graceMs, who)
  local e = redis.call('HMGET', key, 'id', 'born', 'grace')
  local id, born, grace = e[1], tonumber(e[2]), tonumber(e[3])
  if not id then
    id = t[1] .. '.' .. t[2] .. '.' .. who
    born = now
    grace = 0
    redis.call('HSET', key, 'id', id, 'born', string.format('%.3f', now), 'grace', '0')
  end
  if known ~= '' and known ~= id and born + graceMs > grace then
    grace = born + graceMs
    redis.call('HSET', key, 'grace', string.format('%.3f', grace))
  end
  return id, grace
end
`;

/**
 * Capacity: releases some leases and asks for some, in one step, and hands the free tokens to
 * the waiting processes on the server (no second round trip for them).
 *
 * KEYS: holders (zset lease id → expiry), queue (zset process ticket → turn), tickets (zset
 * ticket → expiry), epoch (hash), want (hash ticket → tokens it waits for), seen (zset ticket →
 * time of its last call). ARGV: limit, leaseMs, ticket, ticketTtl, known epoch, more ('1' when
 * the process waits for tokens beyond the ids sent: its `want` stays), the channel prefix, the
 * number of ids to release, those ids, then the ids asked for (the process's oldest waiters
 * first), then (after the ids, as the last argument) the push window in ms.
 *
 * Every process that waits has a ticket in a FIFO queue and a `want`: its attempts refused so
 * far. Free tokens go round the queue, one per process and turn, a served process going to the
 * back while it wants more: the caller's own attempts take their turn like any other's (its
 * grants come back in the reply), and a token for another process is granted to it here, as a
 * lease `<ticket>:p<seq>`, and published on its channel (`<prefix>:<ticket>`, message
 * `<epoch> <server ms> <lease id>...`): that process starts its waiter when the message arrives,
 * without asking again. Only processes that called within the push window get tokens pushed
 * (one that died stops calling: at most one window of tokens is pushed to it, and they come back
 * when their leases expire); a process that stops calling for `ticketTtl` loses its ticket.
 *
 * Returns { granted count, epoch, retry ms (-1: wait for a push), server ms, tokens this process
 * still waits for (its `want`), other processes waiting, lease ids pushed to this process, the
 * last sequence number given out (a pushed id `<ticket>:p<seq>` with a higher one was pushed after
 * this call: its push is not counted in `want` yet) }.
 */
export const CAPACITY = luaScript(
  'capacity',
  `${PRELUDE}
local limit = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local ticket = ARGV[3]
local ticketTtl = tonumber(ARGV[4])
local more = ARGV[6] == '1'
-- '2': the caller cannot receive pushes (not subscribed yet): it takes its turn now, keeps no want.
local unsubscribed = ARGV[6] == '2'
local releases = tonumber(ARGV[8])
local window = tonumber(ARGV[#ARGV])
local epoch, grace = epochOf(KEYS[4], ARGV[5], leaseMs, ticket)

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
if #stale > 0 then
  redis.call('ZREM', KEYS[2], unpack(stale))
  redis.call('ZREM', KEYS[6], unpack(stale))
  redis.call('HDEL', KEYS[5], unpack(stale))
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
end
if releases > 0 then redis.call('ZREM', KEYS[1], unpack(ARGV, 9, 8 + releases)) end

local first = 9 + releases
local wanted = #ARGV - first
local free = limit - redis.call('ZCARD', KEYS[1])

-- This process's want: the attempts it sends now (or, sending none, what it waited for already).
local mine = wanted
if wanted == 0 and more then mine = tonumber(redis.call('HGET', KEYS[5], ticket) or '0') end
if mine > 0 then
  if not redis.call('ZSCORE', KEYS[2], ticket) then
    redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[4], 'seq', 1), ticket)
  end
  redis.call('ZADD', KEYS[3], now + ticketTtl, ticket)
  redis.call('ZADD', KEYS[6], now, ticket)
end

-- The processes that may take a token, in queue order, and what each wants.
local order, wants = {}, {}
local queue = redis.call('ZRANGE', KEYS[2], 0, -1)
local others = 0
for i = 1, #queue do
  local t = queue[i]
  local w
  if t == ticket then w = mine
  else
    w = tonumber(redis.call('HGET', KEYS[5], t) or '0')
    if w > 0 then others = others + 1 end
    if w > 0 and (tonumber(redis.call('ZSCORE', KEYS[6], t) or '0') < now - window) then w = 0 end
  end
  if w > 0 then
    order[#order + 1] = t
    wants[t] = w
  end
end

local granted = 0
local pushed = {}
local served = {}
if now >= grace then
  while free > 0 and #order > 0 do
    local t = table.remove(order, 1)
    if t == ticket and granted < wanted then
      redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[first + granted])
      granted = granted + 1
    else
      local id = t .. ':p' .. redis.call('HINCRBY', KEYS[4], 'seq', 1)
      redis.call('ZADD', KEYS[1], now + leaseMs, id)
      if not pushed[t] then pushed[t] = {} end
      local ids = pushed[t]
      ids[#ids + 1] = id
    end
    free = free - 1
    wants[t] = wants[t] - 1
    if wants[t] > 0 then order[#order + 1] = t end
    served[#served + 1] = t
  end
end

-- Served processes go to the back, in the order they were served; those done leave the queue.
for i = 1, #served do
  local t = served[i]
  if wants[t] > 0 then redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[4], 'seq', 1), t) end
end
if unsubscribed and wants[ticket] then wants[ticket] = 0 end
for t, w in pairs(wants) do
  if w > 0 then redis.call('HSET', KEYS[5], t, w)
  else
    redis.call('HDEL', KEYS[5], t)
    redis.call('ZREM', KEYS[2], t)
  end
end
if (mine == 0 and not more) or unsubscribed then
  redis.call('HDEL', KEYS[5], ticket)
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('ZREM', KEYS[3], ticket)
  redis.call('ZREM', KEYS[6], ticket)
end

local nowText = string.format('%.3f', now)
local self = {}
for t, ids in pairs(pushed) do
  if t == ticket then self = ids
  else redis.call('PUBLISH', ARGV[7] .. ':' .. t, epoch .. ' ' .. nowText .. ' ' .. table.concat(ids, ' ')) end
end

local left = wants[ticket] or 0
local retry = -1
if granted < wanted or left > 0 then
  if now < grace then
    retry = grace - now
  elseif free <= 0 then
    local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    if soonest[2] then retry = tonumber(soonest[2]) - now end
  end
end
return { granted, epoch, tostring(math.ceil(retry)), nowText, left, others, self, tonumber(redis.call('HGET', KEYS[4], 'seq') or '0') }
`,
);

/**
 * Capacity: renews leases while their tasks run.
 *
 * KEYS: holders, epoch. ARGV: limit, leaseMs, ticket, known epoch, then pairs of (lease id, the
 * epoch it was last confirmed in). A lease still on the server gets `leaseMs` more; one the
 * server forgot because it lost its state (its epoch differs) is taken back while it fits under
 * the limit (the grace period keeps new grants out meanwhile); any other is lost.
 *
 * Returns { epoch, lost ids... }.
 */
export const RENEW = luaScript(
  'renew',
  `${PRELUDE}
local limit = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local epoch, grace = epochOf(KEYS[2], ARGV[4], leaseMs, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local result = { epoch }
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], 'XX', now + leaseMs, id)
  elseif ARGV[i + 1] ~= epoch and redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now + leaseMs, id)
  else
    result[#result + 1] = id
  end
end
return result
`,
);

/**
 * Rate: an exact sliding window. KEYS: log (zset of grants, one member per unit of cost, scored
 * by server time), epoch. ARGV: limit, interval, ticket, known epoch, spread ('1': after a grant
 * of cost c, none for c * interval / limit ms), then one (cost, unique id) pair per attempt, in
 * the order the process made them (a grant's members are `id#1` … `id#cost`). Each attempt is
 * decided on its own, one after the other, exactly as if each were its own script call: it is
 * granted when every window of `interval` ms keeps at most `limit` units; else the answer says
 * how long until enough old grants leave the window. The log keeps the grants of the longest
 * `interval` asked for on this key (`horizon` in the epoch hash), as the in-process store does:
 * an interval shortened and then lengthened again at run time still counts them.
 *
 * Returns { epoch, server time, then per attempt: retry ms (0 when granted), units used in the window after it }.
 */
export const RATE = luaScript(
  'rate',
  `${PRELUDE}
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local spread = ARGV[5] == '1'
local epoch, grace = epochOf(KEYS[2], ARGV[4], interval, ARGV[3])
-- The log reaches back the longest interval asked for so far (the horizon), so that a window
-- shortened and lengthened again still counts the earlier grants; \`skip\` of them are older
-- than this interval's window.
local horizon = tonumber(redis.call('HGET', KEYS[2], 'horizon') or '0')
if interval > horizon then
  horizon = interval
  redis.call('HSET', KEYS[2], 'horizon', horizon)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
local used = redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%.17g', now - interval), '+inf')
local skip = redis.call('ZCARD', KEYS[1]) - used
local last, lastCost = 0, 0
if spread then
  last = tonumber(redis.call('HGET', KEYS[2], 'lastAt') or '0')
  lastCost = tonumber(redis.call('HGET', KEYS[2], 'lastCost') or '0')
end
local reply = { epoch, string.format('%.3f', now) }
local grantedAny = false
for a = 6, #ARGV, 2 do
  local cost = tonumber(ARGV[a])
  local at = now
  if now < grace then at = grace end
  if used + cost > limit then
    local oldest = redis.call('ZRANGE', KEYS[1], skip + used + cost - limit - 1, skip + used + cost - limit - 1, 'WITHSCORES')
    if oldest[2] then at = math.max(at, tonumber(oldest[2]) + interval) else at = math.max(at, now + interval) end
  end
  if spread then at = math.max(at, last + lastCost * interval / limit) end
  if at > now then
    reply[#reply + 1] = tostring(math.ceil(at - now))
  else
    for k = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[a + 1] .. '#' .. k) end
    used = used + cost
    last, lastCost = now, cost
    grantedAny = true
    reply[#reply + 1] = '0'
  end
  reply[#reply + 1] = used
end
if grantedAny then
  if spread then redis.call('HSET', KEYS[2], 'lastAt', string.format('%.3f', now), 'lastCost', lastCost) end
  redis.call('PEXPIRE', KEYS[1], math.ceil(horizon) + 1000)
end
return reply
`,
);
