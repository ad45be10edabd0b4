-- wrk script: POST /v1/batch of 100 events (~300 bytes each) per request, write keys
-- wk_bench_0..KEYS-1 round-robin (KEYS env, default 1000). Counts events as 100 per request.
local nkeys = tonumber(os.getenv('KEYS') or '1000')
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
  local events = {}
  for i = 1, 100 do
    events[i] = '{"type":"track","userId":"user-12345","event":"Order Completed",' ..
      '"messageId":"b-' .. tid .. '-' .. counter .. '-' .. i .. '","properties":{"revenue":42.5,' ..
      '"currency":"USD","sku":"SKU-0001","coupon":"none"},"context":{"library":' ..
      '{"name":"bench","version":"1"}},"timestamp":"2024-01-01T00:00:00.000Z"}'
  end
  local body = '{"writeKey":"wk_bench_' .. (counter % nkeys) .. '","batch":[' ..
    table.concat(events, ',') .. ']}'
  return wrk.format('POST', '/v1/batch', { ['Content-Type'] = 'application/json' }, body)
end
