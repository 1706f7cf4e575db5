--[[
relaywarden limits.lua - check, and charge all-or-nothing, every rate limit
and quota of one decision in one atomic call. Protocol 2.
Contract for integrators: schema/redis-keys.md (keys, hashes, this layout).

  EVALSHA <sha1> <5*N> KEYS... ARGV...

KEYS, 5 per check i (base 5*(i-1)):
  +1 state      rate: string, integer TAT in microseconds (GCRA)
                quota: hash of the window, fields m, r, b (used units)
  +2 ovr_key    hash: override for this limit and identity
  +3 ovr_cust   hash: override for this limit and the whole customer
  +4 block_key  string: manual block of this identity, the value is the reason
  +5 block_cust string: manual block of the whole customer
ARGV:
  [1] protocol version "2"      [2] mode "peek" | "charge"
  [3] quota margin in seconds (quota hashes expire at window end + margin)
  [2] may also be "refund": give back what a committed charge took, when
      its reply reached the client only after the client had given up (the
      message was deferred, so it must cost nothing). KEYS and ARGV are the
      charge's, except ARGV[2] and ARGV[4].
  [4] charge deadline, microseconds on this server's TIME clock; "0" = none.
      A charge that runs later is refused with "RWLATE": its client has
      given up (and answered with the limit's fail mode), so the message must
      not cost anything when a stalled Redis catches up. The client sets it
      early enough that the reply's way back fits in its timeout.
      refund: one "1" or "0" per check, whether the charge charged it.
  then 6 per check i (base 4 + 6*(i-1)):
  +1 kind  "rate" | "quota"
  +2 mode  "e" (enforce) | "s" (shadow)
  +3 p1    rate: emission_us (0 = no rate)   quota: cap (0 = not capped)
  +4 p2    rate: tolerance_us                quota: window end, epoch seconds
  +5 cost  units (a peek asks for the units it would need, usually 1)
  +6 field "m" | "r" | "b" (the unit; quota: the hash field)
Overrides (ovr_key fields win over ovr_cust fields, which win over ARGV;
a field that is absent or not a non-negative number is ignored):
  rate: emission_us, tolerance_us     quota: cap_m, cap_r, cap_b

Checks are evaluated in order against the state left by the checks before
them. The call commits (mode "charge") only when no check is blocked and
every enforce check has room: then every check with room is charged. A
shadow check without room is reported and not charged and does not stop
the others. A peek writes nothing.

Reply: { 1, committed (0|1), then 6 per check:
         ok (0|1), never_fits (0|1), blocked (0|1), reason (string | nil),
         remaining (units left: after this cost when ok, before it when not),
         retry_after_ms } ; numbers are clamped to 2^53.
A refund replies { 1, 1 } (no rows).
Errors: "RWPROTO ..." (version mismatch), "RWARGS ..." (bad layout),
"RWLATE ..." (a charge past its deadline; nothing was written).
]]

if redis.replicate_commands then
  redis.replicate_commands()
end

local PROTO = '2'
local NK, NA, NH = 5, 6, 4
local MAXN = 9007199254740992

local function bad(msg)
  return redis.error_reply('RWARGS ' .. msg)
end

local function clamp(x)
  if x ~= x or x < 0 then return 0 end
  if x > MAXN then return MAXN end
  return math.floor(x)
end

-- override: the most specific non-negative numeric value of field
local function override(okey, ckey, field, default)
  for _, k in ipairs({ okey, ckey }) do
    local v = tonumber(redis.call('HGET', k, field) or '')
    if v and v >= 0 then
      return math.floor(v)
    end
  end
  return default
end

-- parse: the checks from KEYS and ARGV, or nil and an error message
local function parse()
  if ARGV[1] ~= PROTO then
    return nil, 'RWPROTO script speaks protocol ' .. PROTO
  end
  local mode = ARGV[2]
  if mode ~= 'peek' and mode ~= 'charge' and mode ~= 'refund' then return nil, 'mode' end
  local margin = tonumber(ARGV[3])
  if not margin or margin < 0 then return nil, 'margin' end
  local n = (#ARGV - NH) / NA
  if n ~= math.floor(n) or #KEYS ~= n * NK then return nil, 'counts' end
  local deadline, mask = 0, nil
  if mode == 'refund' then
    mask = ARGV[4]
    if #mask ~= n or string.find(mask, '[^01]') then return nil, 'mask' end
  else
    deadline = tonumber(ARGV[4])
    if not deadline or deadline < 0 then return nil, 'deadline' end
  end
  local checks = {}
  for i = 1, n do
    local a, k = NH + NA * (i - 1), NK * (i - 1)
    local c = { kind = ARGV[a + 1], enforce = ARGV[a + 2] == 'e',
                p1 = tonumber(ARGV[a + 3]), p2 = tonumber(ARGV[a + 4]),
                cost = tonumber(ARGV[a + 5]), field = ARGV[a + 6],
                key = KEYS[k + 1], okey = KEYS[k + 2], ocust = KEYS[k + 3],
                bkey = KEYS[k + 4], bcust = KEYS[k + 5] }
    if c.kind ~= 'rate' and c.kind ~= 'quota' then return nil, 'kind ' .. i end
    if ARGV[a + 2] ~= 'e' and ARGV[a + 2] ~= 's' then return nil, 'mode ' .. i end
    if not (c.p1 and c.p2 and c.cost) or c.p1 < 0 or c.p2 < 0 or c.cost < 0 then
      return nil, 'number ' .. i
    end
    if c.field ~= 'm' and c.field ~= 'r' and c.field ~= 'b' then
      return nil, 'field ' .. i
    end
    checks[i] = c
  end
  return { mode = mode, margin = margin, deadline = deadline, mask = mask, checks = checks }
end

-- rate: GCRA against the pending TAT of c.key (same arithmetic as core/limits/gcra.c)
local function rate(c, now, pend)
  local em = override(c.okey, c.ocust, 'emission_us', c.p1)
  local tol = override(c.okey, c.ocust, 'tolerance_us', c.p2)
  local tat = pend[c.key]
  if tat == nil then
    tat = tonumber(redis.call('GET', c.key) or '0') or 0
  end
  local base = math.max(tat, now)
  local inc = c.cost * em
  local used = base + inc - now
  local r = { never = inc > tol, ok = used <= tol, retry = 0 }
  if r.ok then
    r.remaining = em > 0 and (tol - used) / em or MAXN
    r.new = base + inc
  else
    r.remaining = (em > 0 and base - now <= tol) and (tol - base + now) / em or 0
    r.retry = math.ceil((used - tol) / 1000)
  end
  return r
end

-- quota: a calendar counter against the pending use of c.key / c.field
local function quota(c, now, pend)
  local cap = override(c.okey, c.ocust, 'cap_' .. c.field, c.p1)
  local pk = c.key .. '\0' .. c.field
  local use = pend[pk]
  if use == nil then
    use = tonumber(redis.call('HGET', c.key, c.field) or '0') or 0
  end
  if cap == 0 then
    return { never = false, ok = true, retry = 0, remaining = MAXN, new = use + c.cost }
  end
  local r = { never = c.cost > cap, ok = use + c.cost <= cap, retry = 0 }
  if r.ok then
    r.remaining = cap - use - c.cost
    r.new = use + c.cost
  else
    r.remaining = math.max(cap - use, 0)
    r.retry = math.max(math.ceil((c.p2 * 1000000 - now) / 1000), 0)
  end
  return r
end

-- evaluate: one result per check, pending state updated for checks with room
local function evaluate(req, now)
  local pend, res, commit = {}, {}, true
  for i, c in ipairs(req.checks) do
    local r
    if c.kind == 'rate' then r = rate(c, now, pend) else r = quota(c, now, pend) end
    r.reason = redis.call('GET', c.bkey) or redis.call('GET', c.bcust)
    if r.reason then r.ok = false end
    if r.ok then
      if c.kind == 'rate' then pend[c.key] = r.new else pend[c.key .. '\0' .. c.field] = r.new end
    elseif c.enforce or r.reason then
      commit = false
    end
    res[i] = r
  end
  return res, commit
end

-- charge: write the state of every check with room
local function charge(req, res, now)
  local now_s = math.floor(now / 1000000)
  for i, c in ipairs(req.checks) do
    local r = res[i]
    if r.ok and c.cost > 0 then
      if c.kind == 'rate' then
        if r.new > now then
          local ttl = clamp(math.ceil((r.new - now) / 1000) + 1)
          redis.call('SET', c.key, string.format('%.0f', r.new), 'PX', ttl)
        end
      else
        redis.call('HINCRBY', c.key, c.field, string.format('%.0f', c.cost))
        redis.call('EXPIREAT', c.key,
                   string.format('%.0f', math.max(c.p2, now_s) + req.margin))
      end
    end
  end
end

-- refund: undo what charge() wrote for the checks the mask names
local function refund(req, now)
  for i, c in ipairs(req.checks) do
    if string.sub(req.mask, i, i) == '1' and c.cost > 0 then
      if c.kind == 'rate' then
        local em = override(c.okey, c.ocust, 'emission_us', c.p1)
        local tat = (tonumber(redis.call('GET', c.key) or '0') or 0) - c.cost * em
        if tat > now then
          redis.call('SET', c.key, string.format('%.0f', tat), 'PX',
                     clamp(math.ceil((tat - now) / 1000) + 1))
        else
          redis.call('DEL', c.key)
        end
      elseif redis.call('HINCRBY', c.key, c.field, string.format('%.0f', -c.cost)) < 0 then
        redis.call('HSET', c.key, c.field, 0)
      end
    end
  end
end

local req, err = parse()
if not req then
  if string.sub(err, 1, 7) == 'RWPROTO' then return redis.error_reply(err) end
  return bad(err)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if req.mode == 'refund' then
  refund(req, now)
  return { 1, 1 }
end
if req.mode == 'charge' and req.deadline > 0 and now > req.deadline then
  return redis.error_reply('RWLATE charge deadline passed, nothing charged')
end
local res, commit = evaluate(req, now)
commit = commit and req.mode == 'charge'
if commit then charge(req, res, now) end

local out = { 1, commit and 1 or 0 }
for i = 1, #req.checks do
  local r = res[i]
  out[#out + 1] = r.ok and 1 or 0
  out[#out + 1] = r.never and 1 or 0
  out[#out + 1] = r.reason and 1 or 0
  out[#out + 1] = r.reason or false
  out[#out + 1] = clamp(r.remaining)
  out[#out + 1] = clamp(r.retry)
end
return out
