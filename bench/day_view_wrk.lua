-- wrk script: each request picks a random (token, device) pair and a random day of 2025.
local pairs_file = os.getenv("DAYVIEW_PAIRS")
local pairs = {}
for line in io.lines(pairs_file) do
  local token, device = line:match("^(%S+)%s+(%S+)$")
  table.insert(pairs, {token, device})
end
math.randomseed(os.time())
request = function()
  local p = pairs[math.random(#pairs)]
  local path = string.format("/api/me/devices/%s/consumption?date=2025-%02d-%02d&tz=Europe/Bucharest",
    p[2], math.random(12), math.random(28))
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. p[1]})
end
response = function(status, headers, body)
  if status ~= 200 then errors_seen = (errors_seen or 0) + 1 end
end
