import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis inbox. Each one makes a multi-key update atomic on one
 * server (all of an inbox's keys live on one server: this is not for Redis Cluster).
 *
 * Keys, under the prefix `P`:
 * - `P epoch`, `P state`, `P id`, `P repair`: the mirror's fencing epoch, its state
 *   record (JSON), this store's identity, and the repair lease.
 * - `P d:<device>`: hash `l` (last seq handed out), `f` (highest seq acknowledged).
 * - `P i:<device>`: zset of items, score = seq, member `<seq>:<expiresAt>:<body>` where
 *   body is `=<payload>` or `@<envelope id>`.
 * - `P m:<device>`: zset of the message refs of `msg` items, member
 *   `<seq>\n<sender>\n<message id>\n<group id>`.
 * - `P e:<envelope>`: hash `p` (a payload shared by many devices), `x` (expiry),
 *   `n` (items pointing at it).
 * - `P k:<key>`: `<ts>:<epoch>` of an idempotency key: its ts, and the mirror epoch it
 *   was applied at (which tells a repair whether its copy covers it).
 * - `P r:<recipient>:<message id>`: hash sender -> `<state>:<expiresAt>:<group id>`,
 *   state 0 open, 1 delivered, 2 read (a tombstone, only written while a store is
 *   being repaired, so that a copy cannot bring a closed receipt back).
 * - `P t:<device>`: a dropped device, so that a repair copy does not bring it back.
 * - `P xd`, `P xe`, `P xk`, `P xr`: expiry indexes (zsets scored by expiresAt) of
 *   devices, envelopes, keys and receipt hashes, for the sweep. Expiry is logical (the
 *   caller's `now`), as in the SQL stores; Redis TTLs are not used for it.
 *
 * Fences: ARGV[1] is the prefix, and ARGV[2..4] the fence of a write: a mode, the
 * epoch of the mirror state its caller acted on, and that state's seq base. Mode `a`
 * (the store that fixes seqs) needs the store's epoch to be exactly the caller's;
 * mode `f` (a store that follows) needs the same seq base (the same authority, in the
 * same incarnation) and an epoch no older than `P minepoch` (set when a repair starts,
 * so that nothing written before it lands in the store being refilled); mode `x`
 * (repair) needs the epoch exactly; the empty mode is a store used alone. A refused
 * write changes nothing and fails with `STALE <the store's epoch>`. `P base`,
 * `P minepoch` and `P tomb` are written with the state record.
 */

const PRELUDE = `
local P = ARGV[1]
local function str(n) return string.format('%d', n) end
local function fence()
  local mode, epoch = ARGV[2], ARGV[3]
  if mode == '' then return nil end
  local stored = redis.call('GET', P .. 'epoch') or '0'
  if mode == 'f' then
    local base = redis.call('GET', P .. 'base') or '0'
    local floor = redis.call('GET', P .. 'minepoch') or '0'
    if base ~= ARGV[4] or tonumber(epoch) < tonumber(floor) then return stored end
  elseif stored ~= epoch then
    return stored
  end
  return nil
end
local function split_item(m)
  local c1 = string.find(m, ':', 1, true)
  local c2 = string.find(m, ':', c1 + 1, true)
  return string.sub(m, 1, c1 - 1), tonumber(string.sub(m, c1 + 1, c2 - 1)), c2
end
local function release(members)
  for _, m in ipairs(members) do
    local _, _, c2 = split_item(m)
    if string.byte(m, c2 + 1) == 64 then
      local id = string.sub(m, c2 + 2)
      local ek = P .. 'e:' .. id
      if redis.call('HINCRBY', ek, 'n', -1) <= 0 then
        redis.call('DEL', ek)
        redis.call('ZREM', P .. 'xe', id)
      end
    end
  end
end
local function delete_upto(dev, upto)
  local ik = P .. 'i:' .. dev
  local gone = redis.call('ZRANGE', ik, '-inf', upto, 'BYSCORE')
  if #gone == 0 then return 0 end
  release(gone)
  redis.call('ZREMRANGEBYSCORE', ik, '-inf', upto)
  redis.call('ZREMRANGEBYSCORE', P .. 'm:' .. dev, '-inf', upto)
  return #gone
end
local function raise_floor(dev, upto)
  local dk = P .. 'd:' .. dev
  local f = tonumber(redis.call('HGET', dk, 'f') or '0')
  if upto > f then
    redis.call('HSET', dk, 'f', str(upto))
    return upto
  end
  return f
end
local function expect_receipts(i, exp)
  local sender, msg, group = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local n = tonumber(ARGV[i + 3])
  i = i + 4
  for j = i, i + n - 1 do
    local member = ARGV[j] .. ':' .. msg
    redis.call('HSETNX', P .. 'r:' .. member, sender, '0:' .. exp .. ':' .. group)
    redis.call('ZADD', P .. 'xr', 'GT', exp, member)
  end
  return i + n
end
-- Inserts an item a store that follows was told about (or a repair copies), unless it
-- is at or below the device's acknowledged seq or already there. Answers true if added.
local function insert_item(dev, seq, s, exp, member, ref)
  local dk = P .. 'd:' .. dev
  local ik = P .. 'i:' .. dev
  local state = redis.call('HMGET', dk, 'l', 'f')
  if seq > tonumber(state[1] or '0') then redis.call('HSET', dk, 'l', s) end
  if seq <= tonumber(state[2] or '0') then return false end
  if redis.call('ZCOUNT', ik, s, s) > 0 then return false end
  redis.call('ZADD', ik, s, member)
  if ref ~= '' then redis.call('ZADD', P .. 'm:' .. dev, s, ref) end
  local _, _, c2 = split_item(member)
  if string.byte(member, c2 + 1) == 64 then
    redis.call('HINCRBY', P .. 'e:' .. string.sub(member, c2 + 2), 'n', 1)
  end
  redis.call('ZADD', P .. 'xd', 'LT', exp, dev)
  return true
end
`;

/**
 * Applies a delivery where seqs are fixed (a store used alone, or the mirror's
 * authority). ARGV: fence (its seq base is where new seqs start), key, ts, expiresAt, ack device,
 * ack upto, then the receipt expectation (sender, message id, group id, n, recipients),
 * then n writes, then the receipt marks (status, recipient, n items, each: sender,
 * message id, n writes). A write is: body, envelope payload, sender, message id, group
 * id, n devices, devices. Answers `{0, ts, epoch}` for a known key, else `{1, ts, ack floor,
 * n seqs, seqs..., mark flags...}`.
 */
export const APPLY_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local base = tonumber(ARGV[4])
local key, ts, exp = ARGV[5], ARGV[6], ARGV[7]
if key ~= '' then
  local kk = P .. 'k:' .. key
  local old = redis.call('GET', kk)
  if old then
    local c = string.find(old, ':', 1, true)
    return {0, string.sub(old, 1, c - 1), string.sub(old, c + 1)}
  end
  redis.call('SET', kk, ts .. ':' .. ARGV[3])
  redis.call('ZADD', P .. 'xk', exp, key)
end
local floor = -1
if ARGV[8] ~= '' then
  local dev = ARGV[8]
  local upto = tonumber(ARGV[9])
  local last = tonumber(redis.call('HGET', P .. 'd:' .. dev, 'l') or '0')
  if upto > last then upto = last end
  if upto > 0 then
    delete_upto(dev, upto)
    raise_floor(dev, upto)
  end
  floor = upto
end
local i = expect_receipts(10, exp)
local seqs = {}
local function append(apply)
  local body, envelope, sender, msg, group = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local n = tonumber(ARGV[i + 5])
  local first = i + 6
  i = first + n
  if not apply or n == 0 then return end
  if string.byte(body, 1) == 64 then
    local id = string.sub(body, 2)
    redis.call('HSET', P .. 'e:' .. id, 'p', envelope, 'x', exp, 'n', n)
    redis.call('ZADD', P .. 'xe', exp, id)
  end
  for j = first, first + n - 1 do
    local dev = ARGV[j]
    local dk = P .. 'd:' .. dev
    local last = tonumber(redis.call('HGET', dk, 'l') or '0')
    if last < base then last = base end
    local seq = last + 1
    local s = str(seq)
    redis.call('HSET', dk, 'l', s)
    redis.call('ZADD', P .. 'i:' .. dev, s, s .. ':' .. exp .. ':' .. body)
    if sender ~= '' then
      redis.call('ZADD', P .. 'm:' .. dev, s, s .. '\\n' .. sender .. '\\n' .. msg .. '\\n' .. group)
    end
    redis.call('ZADD', P .. 'xd', 'LT', exp, dev)
    seqs[#seqs + 1] = seq
  end
end
local writes = tonumber(ARGV[i])
i = i + 1
for _ = 1, writes do append(true) end
local marks = {}
local status, recipient, items = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
i = i + 3
for k = 1, items do
  local sender, msg, nw = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  local rk = P .. 'r:' .. recipient .. ':' .. msg
  local v = redis.call('HGET', rk, sender)
  local applied = false
  if v then
    local state = string.byte(v, 1)
    if status == 'delivered' then
      if state == 48 then
        redis.call('HSET', rk, sender, '1' .. string.sub(v, 2))
        applied = true
      end
    elseif state ~= 50 then
      redis.call('HDEL', rk, sender)
      if redis.call('HLEN', rk) == 0 then redis.call('ZREM', P .. 'xr', recipient .. ':' .. msg) end
      applied = true
    end
  end
  marks[k] = applied and 1 or 0
  for _ = 1, nw do append(applied) end
end
local out = {1, ts, floor, #seqs}
for _, s in ipairs(seqs) do out[#out + 1] = s end
for _, m in ipairs(marks) do out[#out + 1] = m end
return out
`;

/**
 * Replays on a store that follows what the authority did, with the authority's seqs.
 * Every step is idempotent and commutes with a repair copy. ARGV: fence, key, ts,
 * expiresAt, ack device, ack upto (as the authority applied it), the receipt
 * expectation (as in APPLY), n envelopes (id, payload), n writes (body, sender, message
 * id, group id, n, then device and seq pairs), then the marks that applied (status,
 * recipient, n, each: sender, message id, group id). Read marks leave tombstones while
 * the store is being repaired (`P tomb`).
 */
export const FOLLOW_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local key, ts, exp = ARGV[5], ARGV[6], ARGV[7]
local tombs = redis.call('EXISTS', P .. 'tomb') == 1
if key ~= '' then
  if redis.call('SET', P .. 'k:' .. key, ts .. ':' .. ARGV[3], 'NX') then
    redis.call('ZADD', P .. 'xk', exp, key)
  end
end
if ARGV[8] ~= '' then
  local upto = tonumber(ARGV[9])
  if upto > 0 then
    delete_upto(ARGV[8], upto)
    raise_floor(ARGV[8], upto)
  end
end
local i = expect_receipts(10, exp)
local envelopes = tonumber(ARGV[i])
i = i + 1
for _ = 1, envelopes do
  local id, payload = ARGV[i], ARGV[i + 1]
  i = i + 2
  local ek = P .. 'e:' .. id
  redis.call('HSETNX', ek, 'p', payload)
  redis.call('HSETNX', ek, 'x', exp)
  redis.call('ZADD', P .. 'xe', exp, id)
end
local writes = tonumber(ARGV[i])
i = i + 1
for _ = 1, writes do
  local body, sender, msg, group = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local n = tonumber(ARGV[i + 4])
  i = i + 5
  for _ = 1, n do
    local dev, s = ARGV[i], ARGV[i + 1]
    i = i + 2
    local ref = ''
    if sender ~= '' then ref = s .. '\\n' .. sender .. '\\n' .. msg .. '\\n' .. group end
    insert_item(dev, tonumber(s), s, tonumber(exp), s .. ':' .. exp .. ':' .. body, ref)
  end
end
local status, recipient, marks = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
i = i + 3
for _ = 1, marks do
  local sender, msg, group = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local member = recipient .. ':' .. msg
  local rk = P .. 'r:' .. member
  local v = redis.call('HGET', rk, sender)
  if status == 'delivered' then
    if not v then
      redis.call('HSET', rk, sender, '1:' .. exp .. ':' .. group)
      redis.call('ZADD', P .. 'xr', 'GT', exp, member)
    elseif string.byte(v, 1) == 48 then
      redis.call('HSET', rk, sender, '1' .. string.sub(v, 2))
    end
  elseif tombs then
    redis.call('HSET', rk, sender, '2:' .. exp .. ':' .. group)
    redis.call('ZADD', P .. 'xr', 'GT', exp, member)
  elseif v then
    redis.call('HDEL', rk, sender)
    if redis.call('HLEN', rk) == 0 then redis.call('ZREM', P .. 'xr', member) end
  end
end
return 1
`;

/**
 * Stores envelope payloads ahead of the items that will point at them: the part of a
 * mirrored write that does not wait for the seqs. ARGV: fence, n, then
 * id, payload, expiresAt triples.
 */
export const ENVELOPES_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local n = tonumber(ARGV[5])
for j = 6, 5 + n * 3, 3 do
  local ek = P .. 'e:' .. ARGV[j]
  redis.call('HSETNX', ek, 'p', ARGV[j + 1])
  redis.call('HSETNX', ek, 'x', ARGV[j + 2])
  redis.call('ZADD', P .. 'xe', ARGV[j + 2], ARGV[j])
end
return 1
`;

/**
 * A device's items after a seq, oldest first, not expired, envelopes resolved.
 * ARGV: fence, device, after, limit, now. Answers seq, payload pairs.
 */
export const READ_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local ik = P .. 'i:' .. ARGV[5]
local limit = tonumber(ARGV[7])
local now = tonumber(ARGV[8])
local out = {}
local start = '(' .. ARGV[6]
local shared = {}
while true do
  local batch = redis.call('ZRANGE', ik, start, '+inf', 'BYSCORE', 'LIMIT', 0, limit)
  for _, m in ipairs(batch) do
    local s, exp, c2 = split_item(m)
    start = '(' .. s
    if exp > now then
      local payload
      if string.byte(m, c2 + 1) == 64 then
        local id = string.sub(m, c2 + 2)
        payload = shared[id]
        if payload == nil then
          payload = redis.call('HGET', P .. 'e:' .. id, 'p')
          shared[id] = payload
        end
      else
        payload = string.sub(m, c2 + 2)
      end
      if payload then
        out[#out + 1] = tonumber(s)
        out[#out + 1] = payload
        if #out >= limit * 2 then return out end
      end
    end
  end
  if #batch < limit then return out end
end
`;

/** Receipt state still open among these messages of a recipient. ARGV: P, recipient, ids... */
export const PENDING_RECEIPTS_LUA = `${PRELUDE}
local out = {}
for j = 3, #ARGV do
  local fields = redis.call('HGETALL', P .. 'r:' .. ARGV[2] .. ':' .. ARGV[j])
  for k = 1, #fields, 2 do
    local v = fields[k + 1]
    if string.byte(v, 1) ~= 50 then
      local c1 = string.find(v, ':', 1, true)
      local c2 = string.find(v, ':', c1 + 1, true)
      out[#out + 1] = fields[k]
      out[#out + 1] = ARGV[j]
      out[#out + 1] = string.sub(v, c2 + 1)
    end
  end
end
return out
`;

/** Forgets a device and leaves a tombstone for repairs. ARGV: fence, device. */
export const DROP_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local dev = ARGV[5]
release(redis.call('ZRANGE', P .. 'i:' .. dev, 0, -1))
redis.call('DEL', P .. 'i:' .. dev, P .. 'm:' .. dev, P .. 'd:' .. dev)
redis.call('ZREM', P .. 'xd', dev)
redis.call('SET', P .. 't:' .. dev, '1', 'PX', 86400000)
return 1
`;

/**
 * One step of the sweep, deleting at most ARGV[5] entries of each kind: expired items
 * from the front of each inbox whose oldest item expired (an expired item behind a
 * live one is hidden from reads, and goes once it reaches the front or is
 * acknowledged), then expired envelopes, keys and receipt hashes. ARGV: fence, limit,
 * now. Answers the items deleted and 1 if more may remain.
 */
export const SWEEP_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local limit = tonumber(ARGV[5])
local now = ARGV[6]
local nnow = tonumber(now)
local items = 0
local more = 0
local budget = limit
local devices = redis.call('ZRANGE', P .. 'xd', '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
if #devices == limit then more = 1 end
for _, dev in ipairs(devices) do
  if budget <= 0 then
    more = 1
    break
  end
  local ik = P .. 'i:' .. dev
  local soonest = nil
  while budget > 0 and soonest == nil do
    local page = redis.call('ZRANGE', ik, 0, math.min(budget, 500) - 1)
    if #page == 0 then break end
    local gone = {}
    for _, m in ipairs(page) do
      local s, exp = split_item(m)
      if exp > nnow then
        soonest = exp
        break
      end
      gone[#gone + 1] = m
      redis.call('ZREMRANGEBYSCORE', P .. 'm:' .. dev, s, s)
    end
    if #gone > 0 then
      release(gone)
      redis.call('ZREM', ik, unpack(gone))
      items = items + #gone
      budget = budget - #gone
    end
  end
  if soonest then
    redis.call('ZADD', P .. 'xd', soonest, dev)
  elseif redis.call('EXISTS', ik) == 0 then
    redis.call('ZREM', P .. 'xd', dev)
  else
    more = 1
  end
end
for _, index in ipairs({'xe', 'xk', 'xr'}) do
  local tag = ({xe = 'e:', xk = 'k:', xr = 'r:'})[index]
  local gone = redis.call('ZRANGE', P .. index, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  if #gone == limit then more = 1 end
  for _, member in ipairs(gone) do redis.call('DEL', P .. tag .. member) end
  if #gone > 0 then redis.call('ZREM', P .. index, unpack(gone)) end
end
return {items, more}
`;

/**
 * Writes a mirror state if it is newer than the stored one (or the same one again), with the seq base writes
 * that follow must carry, whether read receipts leave tombstones (while this store is
 * repaired), and (unless empty) the oldest epoch a follow write may come from. ARGV:
 * P, epoch, JSON, seq base, tombstones (1/0), min epoch. Answers `{1}`, or
 * `{0, stored epoch, stored JSON}`.
 */
export const STATE_CAS_LUA = `${PRELUDE}
local stored = redis.call('GET', P .. 'epoch') or '0'
local current = redis.call('GET', P .. 'state') or ''
local s, n = tonumber(stored), tonumber(ARGV[2])
if s > n or (s == n and current ~= ARGV[3]) then return {0, stored, current} end
redis.call('SET', P .. 'epoch', ARGV[2])
redis.call('SET', P .. 'state', ARGV[3])
redis.call('SET', P .. 'base', ARGV[4])
if ARGV[5] == '1' then redis.call('SET', P .. 'tomb', '1') else redis.call('DEL', P .. 'tomb') end
if ARGV[6] ~= '' then redis.call('SET', P .. 'minepoch', ARGV[6]) end
return {1}
`;

/**
 * This store's identity (set on first contact; a store that lost everything gets a new
 * one) and the run id of the server process. ARGV: P, a fresh id.
 */
export const IDENTIFY_LUA = `${PRELUDE}
redis.call('SET', P .. 'id', ARGV[2], 'NX')
local info = redis.call('INFO', 'server')
return {redis.call('GET', P .. 'id'), string.match(info, 'run_id:(%x+)')}
`;

/** Takes or renews the repair lease. ARGV: P, owner, milliseconds. Answers 1 if held. */
export const LEASE_LUA = `${PRELUDE}
local k = P .. 'repair'
if redis.call('SET', k, ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
if redis.call('GET', k) == ARGV[2] then
  redis.call('PEXPIRE', k, ARGV[3])
  return 1
end
return 0
`;

/** Gives the repair lease back if held. ARGV: P, owner. */
export const UNLEASE_LUA = `${PRELUDE}
if redis.call('GET', P .. 'repair') == ARGV[2] then redis.call('DEL', P .. 'repair') end
return 1
`;

/** Deletes keys of a store being emptied for a repair. ARGV: fence, keys... */
export const UNLINK_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
for j = 5, #ARGV do redis.call('UNLINK', ARGV[j]) end
return #ARGV - 4
`;

/**
 * What a repair copies of some devices, a page at a time: for each, its id, last seq,
 * acknowledged seq, up to `limit` items after a seq, their message refs, and 1 if the
 * inbox goes on; then the envelopes the items point at (id, payload, expiry). ARGV: P,
 * limit, then device and after-seq pairs.
 */
export const SNAPSHOT_DEVICES_LUA = `${PRELUDE}
local limit = tonumber(ARGV[2])
local devices = {}
local envelopes = {}
local seen = {}
for j = 3, #ARGV, 2 do
  local dev, after = ARGV[j], ARGV[j + 1]
  local state = redis.call('HMGET', P .. 'd:' .. dev, 'l', 'f')
  local items = redis.call('ZRANGE', P .. 'i:' .. dev, '(' .. after, '+inf', 'BYSCORE', 'LIMIT', 0, limit)
  local upto = '+inf'
  local more = 0
  if #items == limit then
    more = 1
    upto = split_item(items[#items])
  end
  for _, m in ipairs(items) do
    local _, _, c2 = split_item(m)
    if string.byte(m, c2 + 1) == 64 then
      local id = string.sub(m, c2 + 2)
      if not seen[id] then
        seen[id] = true
        local e = redis.call('HMGET', P .. 'e:' .. id, 'p', 'x')
        if e[1] then envelopes[#envelopes + 1] = {id, e[1], e[2]} end
      end
    end
  end
  local refs = redis.call('ZRANGE', P .. 'm:' .. dev, '(' .. after, upto, 'BYSCORE')
  devices[#devices + 1] = {dev, state[1] or '0', state[2] or '0', items, refs, more}
end
return {devices, envelopes}
`;

/**
 * Merges a snapshot into a store being repaired, without undoing what it received
 * since. ARGV: fence, now, n envelopes (id, payload, expiry), n devices
 * (device, last, acked, n items, items..., n refs, refs...).
 */
export const MERGE_DEVICES_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local now = tonumber(ARGV[5])
local i = 6
local envelopes = tonumber(ARGV[i])
i = i + 1
for _ = 1, envelopes do
  local id, payload, exp = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  if tonumber(exp) > now then
    local ek = P .. 'e:' .. id
    redis.call('HSETNX', ek, 'p', payload)
    redis.call('HSETNX', ek, 'x', exp)
    redis.call('ZADD', P .. 'xe', exp, id)
  end
end
local devices = tonumber(ARGV[i])
i = i + 1
local copied = 0
for _ = 1, devices do
  local dev, last, acked = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local n = tonumber(ARGV[i + 3])
  local items = i + 4
  local nrefs = tonumber(ARGV[items + n])
  local refs = items + n + 1
  i = refs + nrefs
  if redis.call('EXISTS', P .. 't:' .. dev) == 0 then
    local dk = P .. 'd:' .. dev
    local l = tonumber(redis.call('HGET', dk, 'l') or '0')
    if tonumber(last) > l then redis.call('HSET', dk, 'l', last) end
    if acked > 0 then delete_upto(dev, acked) end
    raise_floor(dev, acked)
    local byseq = {}
    for r = refs, refs + nrefs - 1 do
      local ref = ARGV[r]
      byseq[string.sub(ref, 1, string.find(ref, '\\n', 1, true) - 1)] = ref
    end
    for j = items, items + n - 1 do
      local m = ARGV[j]
      local s, exp = split_item(m)
      if exp > now and insert_item(dev, tonumber(s), s, exp, m, byseq[s] or '') then
        copied = copied + 1
      end
    end
  end
end
return copied
`;

/**
 * Idempotency keys with their ts and expiry, for a repair copy. ARGV: P, keys (names
 * without the prefix). Answers key, ts, expiry triples.
 */
export const SNAPSHOT_KEYS_LUA = `${PRELUDE}
local out = {}
for j = 2, #ARGV do
  local ts = redis.call('GET', P .. 'k:' .. ARGV[j])
  local exp = redis.call('ZSCORE', P .. 'xk', ARGV[j])
  if ts and exp then
    out[#out + 1] = ARGV[j]
    out[#out + 1] = ts
    out[#out + 1] = exp
  end
end
return out
`;

/** Merges idempotency keys. ARGV: fence, now, key, ts, expiry triples. */
export const MERGE_KEYS_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local now = tonumber(ARGV[5])
for j = 6, #ARGV, 3 do
  if tonumber(ARGV[j + 2]) > now then
    redis.call('SET', P .. 'k:' .. ARGV[j], ARGV[j + 1], 'NX')
    redis.call('ZADD', P .. 'xk', ARGV[j + 2], ARGV[j])
  end
end
return 1
`;

/**
 * Receipt state of some recipient/message pairs, for a repair copy. ARGV: P, members
 * (`<recipient>:<message id>`). Answers member, sender, value triples.
 */
export const SNAPSHOT_RECEIPTS_LUA = `${PRELUDE}
local out = {}
for j = 2, #ARGV do
  local fields = redis.call('HGETALL', P .. 'r:' .. ARGV[j])
  for k = 1, #fields, 2 do
    out[#out + 1] = ARGV[j]
    out[#out + 1] = fields[k]
    out[#out + 1] = fields[k + 1]
  end
end
return out
`;

/**
 * Merges receipt state: the furthest state wins (open < delivered < read), and the
 * copied row at an equal state. ARGV: P,
 * fence, now, member, sender, value triples.
 */
export const MERGE_RECEIPTS_LUA = `${PRELUDE}
local stale = fence()
if stale then return redis.error_reply('STALE ' .. stale) end
local now = tonumber(ARGV[5])
for j = 6, #ARGV, 3 do
  local member, sender, v = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  local c1 = string.find(v, ':', 1, true)
  local c2 = string.find(v, ':', c1 + 1, true)
  local exp = string.sub(v, c1 + 1, c2 - 1)
  if tonumber(exp) > now then
    local rk = P .. 'r:' .. member
    local cur = redis.call('HGET', rk, sender)
    -- At the same state the authority's row wins: it has the expiry of the original.
    if not cur or string.byte(cur, 1) <= string.byte(v, 1) then redis.call('HSET', rk, sender, v) end
    redis.call('ZADD', P .. 'xr', 'GT', exp, member)
  end
end
return 1
`;

/**
 * A Lua script run by its SHA, and sent again in full when the server does not know it
 * (after a restart, say).
 */
export class InboxScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script with no keys (every key is built from the prefix in ARGV[1]). */
  async run(client: Redis, args: ReadonlyArray<string | number>): Promise<unknown> {
    // Arguments go as one array: a large fan-out has more than a call's argument limit.
    try {
      return await client.call('EVALSHA', [this.sha, 0].concat(args));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.call('EVAL', [this.lua, 0].concat(args));
    }
  }
}

/** Every script of the inbox, compiled once per process. */
export const INBOX_SCRIPTS = {
  apply: new InboxScript(APPLY_LUA),
  follow: new InboxScript(FOLLOW_LUA),
  envelopes: new InboxScript(ENVELOPES_LUA),
  read: new InboxScript(READ_LUA),
  pendingReceipts: new InboxScript(PENDING_RECEIPTS_LUA),
  drop: new InboxScript(DROP_LUA),
  sweep: new InboxScript(SWEEP_LUA),
  stateCas: new InboxScript(STATE_CAS_LUA),
  identify: new InboxScript(IDENTIFY_LUA),
  lease: new InboxScript(LEASE_LUA),
  unlease: new InboxScript(UNLEASE_LUA),
  unlink: new InboxScript(UNLINK_LUA),
  snapshotDevices: new InboxScript(SNAPSHOT_DEVICES_LUA),
  mergeDevices: new InboxScript(MERGE_DEVICES_LUA),
  snapshotKeys: new InboxScript(SNAPSHOT_KEYS_LUA),
  mergeKeys: new InboxScript(MERGE_KEYS_LUA),
  snapshotReceipts: new InboxScript(SNAPSHOT_RECEIPTS_LUA),
  mergeReceipts: new InboxScript(MERGE_RECEIPTS_LUA),
} as const;
