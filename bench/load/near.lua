-- wrk script: /v1/stops/near at random points over central Arequipa.
math.randomseed(7)
request = function()
  local path = string.format("/v1/stops/near?lat=%.5f&lon=%.5f&radius=300", -16.43 + math.random() * 0.06, -71.56 + math.random() * 0.06)
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
