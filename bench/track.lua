-- wrk script: single-event POST /v1/track (~300 bytes) with HTTP Basic write-key auth.
-- KEYS=N (env) rotates over write keys wk_bench_0..N-1 round-robin; default 1.
local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

local nkeys = tonumber(os.getenv('KEYS') or '1')
local auth = {}
for i = 0, nkeys - 1 do auth[i] = 'Basic ' .. base64('wk_bench_' .. i .. ':') end
local counter = 0
local threads = 0
-- Unique messageIds per thread and per run: wrk does not seed math.random.
function setup(thread)
  threads = threads + 1
  thread:set('tid', os.time() .. '.' .. threads)
end
tid = 'main'

function request()
  counter = counter + 1
  local body = '{"userId":"user-12345","event":"Order Completed","messageId":"m-' .. tid .. '-' ..
    counter .. '","properties":{"revenue":42.5,"currency":"USD","sku":"SKU-0001",' ..
    '"coupon":"none"},"context":{"library":{"name":"bench","version":"1"}},' ..
    '"timestamp":"2024-01-01T00:00:00.000Z"}'
  return wrk.format('POST', '/v1/track', {
    ['Authorization'] = auth[counter % nkeys],
    ['Content-Type'] = 'application/json',
  }, body)
end
