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
 * Capacity: releases some leases and asks for some, in one step.
 *
 * KEYS: holders (zset lease id → expiry), queue (zset process ticket → arrival), tickets (zset
 * ticket → expiry), epoch (hash), told (hash: the tickets woken since they last called). ARGV:
 * limit, leaseMs, ticket, ticketTtl, known epoch, more ('1' when the process has waiters beyond
 * the ids sent), the channel prefix, the number of ids to release, those ids, then the ids asked
 * for (the process's oldest waiters first).
 *
 * Fairness across processes: every process with waiters has a ticket in a FIFO queue; a process
 * may take tokens only while its ticket is among the first `free` ones, and leaves one free
 * token to each other waiting process; after taking some it goes to the back. A process that
 * stops asking (it died) loses its ticket after `ticketTtl`.
 *
 * When tokens are left free while other processes wait, it wakes the processes that may take
 * them now (the first `free` of the queue), each on its own channel (`<prefix>:<ticket>`), and
 * each only once until it calls again (`told`): the others sleep, and a process already on its
 * way is not woken again (at most one message per waiting process and call, where every release
 * used to wake every process).
 *
 * Returns { granted count, epoch, retry ms (-1: wait for a release message) }.
 */
export const CAPACITY = luaScript(
  'capacity',
  `${PRELUDE}
local limit = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local ticket = ARGV[3]
local ticketTtl = tonumber(ARGV[4])
local more = ARGV[6] == '1'
local releases = tonumber(ARGV[8])
local epoch, grace = epochOf(KEYS[4], ARGV[5], leaseMs, ticket)

local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for i = 1, #stale do redis.call('ZREM', KEYS[2], stale[i]) end
if #stale > 0 then
  redis.call('HDEL', KEYS[5], unpack(stale))
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  changed = changed + #stale
end
if releases > 0 then changed = changed + redis.call('ZREM', KEYS[1], unpack(ARGV, 9, 8 + releases)) end

local first = 9 + releases
local wanted = #ARGV - first + 1
local free = limit - redis.call('ZCARD', KEYS[1])
local queued = redis.call('ZCARD', KEYS[2])
local rank = redis.call('ZRANK', KEYS[2], ticket)
local inQueue = rank ~= false and rank ~= nil
local others = queued
if inQueue then others = queued - 1 else rank = queued end

redis.call('HDEL', KEYS[5], ticket)

local granted = 0
if wanted > 0 and now >= grace and free > 0 and rank < free then
  granted = math.min(wanted, free - math.min(others, free - 1))
  for i = 0, granted - 1 do redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[first + i]) end
end

if wanted > granted or more then
  if granted > 0 or not inQueue then
    redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[4], 'seq', 1), ticket)
  end
  redis.call('ZADD', KEYS[3], now + ticketTtl, ticket)
elseif inQueue then
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('ZREM', KEYS[3], ticket)
end

if (changed > 0 or granted > 0) and now >= grace and free - granted > 0 and others > 0 then
  -- Wake the processes that may take a token now (the first ones in the queue), unless told already.
  local turn = redis.call('ZRANGE', KEYS[2], 0, free - granted - 1)
  for i = 1, #turn do
    if turn[i] ~= ticket and redis.call('HSETNX', KEYS[5], turn[i], '1') == 1 then
      redis.call('PUBLISH', ARGV[7] .. ':' .. turn[i], '1')
    end
  end
end

local retry = -1
if granted < wanted then
  if now < grace then
    retry = grace - now
  elseif free - granted <= 0 then
    local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    if soonest[2] then retry = tonumber(soonest[2]) - now end
  end
end
return { granted, epoch, tostring(math.ceil(retry)) }
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
 * how long until enough old grants leave the window.
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
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
local used = redis.call('ZCARD', KEYS[1])
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
    local oldest = redis.call('ZRANGE', KEYS[1], used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
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
  redis.call('PEXPIRE', KEYS[1], math.ceil(interval) + 1000)
end
return reply
`,
);
