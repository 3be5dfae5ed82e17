-- wrk script: /v1/stops/near at random points over central Arequipa.
math.randomseed(7)
request = function()
  local path = string.format("/v1/stops/near?lat=%.5f&lon=%.5f&radius=300", -16.43 + math.random() * 0.06, -71.56 + math.random() * 0.06)
  return wrk.format("GET", path)
end
dofile("bench/load/summary.lua")
