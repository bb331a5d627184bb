-- wrk script for the bedside scan benchmark: `wrk ... -s bench/scan.lua URL -- DATA_FILE`.
-- DATA_FILE: the path to POST, then the bearer token (or "-" for none), then one JSON body a line; the
-- connections take the bodies in turn. Prints one JSON line of totals, latency percentiles and statuses.

local requests = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local lines = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(lines, line) end
  end
  local headers = { ["Content-Type"] = "application/json" }
  if lines[2] ~= "-" then headers["Authorization"] = "Bearer " .. lines[2] end
  for i = 3, #lines do
    table.insert(requests, wrk.format("POST", lines[1], headers, lines[i]))
  end
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests_)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    '\nWRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
