-- wrk: POST a product to /kafka, a new name each request (run.py's REST load).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local sent = 0

request = function()
  sent = sent + 1
  return wrk.format(nil, "/kafka", nil, string.format('{"name": "wrk %d", "price": 1.5}', sent))
end
