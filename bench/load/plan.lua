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
dofile("bench/load/summary.lua")
