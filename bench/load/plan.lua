-- wrk script: /v1/plan between random coordinates over central Arequipa, departures 06:00-20:00.
-- Deterministic seed so runs are comparable.
math.randomseed(42)
local function coord()
  return string.format("%.5f,%.5f", -16.43 + math.random() * 0.06, -71.56 + math.random() * 0.06)
end
request = function()
  local h = 6 + math.random(0, 13)
  local m = math.random(0, 59)
  local path = string.format("/v1/plan?from=%s&to=%s&at=2026-11-23T%02d:%02d", coord(), coord(), h, m)
  return wrk.format("GET", path)
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
