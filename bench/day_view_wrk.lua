-- wrk script: each request picks a random (token, device) pair and a random period of 2025.
-- DAYVIEW_MODE: day (default; ?date=), month (month by day), year (year by month), floor (the
-- health probe: one `SELECT 1` round trip and no view logic, the host's own floor).
local pairs_file = os.getenv("DAYVIEW_PAIRS")
local mode = os.getenv("DAYVIEW_MODE") or "day"
local days_in = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
local pairs = {}
for line in io.lines(pairs_file) do
  local token, device = line:match("^(%S+)%s+(%S+)$")
  table.insert(pairs, {token, device})
end
math.randomseed(os.time())
request = function()
  if mode == "floor" then
    return wrk.format("GET", "/api/health")
  end
  local p = pairs[math.random(#pairs)]
  local query
  if mode == "month" then
    local m = math.random(12)
    query = string.format("from=2025-%02d-01&to=2025-%02d-%02d&group_by=day", m, m, days_in[m])
  elseif mode == "year" then
    query = "from=2025-01-01&to=2025-12-31&group_by=month"
  else
    query = string.format("date=2025-%02d-%02d", math.random(12), math.random(28))
  end
  local path = string.format("/api/me/devices/%s/consumption?%s&tz=Europe/Bucharest", p[2], query)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. p[1]})
end
response = function(status, headers, body)
  if status ~= 200 then errors_seen = (errors_seen or 0) + 1 end
end
