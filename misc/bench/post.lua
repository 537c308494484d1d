-- wrk: POST a product to /kafka, a new name each request; at the end, the run's figures as JSON.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local sent = 0

request = function()
  sent = sent + 1
  return wrk.format(nil, "/kafka", nil, string.format('{"name": "wrk %d", "price": 1.5}', sent))
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"p50_ms": %.3f, "p99_ms": %.3f, "requests_per_s": %.2f, "failed": %d}\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), e.connect + e.read + e.write + e.status + e.timeout))
end
