-- wrk script: every request picks a random benchmark user (token) and acts on their own task.
-- SCENARIO: list | get | create | toggle | mix (80% reads, 20% writes) | page (the server-
-- rendered /tasks with a signed-in session) | login (POST /api/auth/login, argon2 and all) |
-- due (GET /api/tasks?sort=due&due=upcoming&limit=50) | manual (GET /api/tasks?project=<the user's
-- project with the most tasks>&sort=manual&limit=50) | move (POST /api/tasks/<an Inbox task>/move, after
-- another Inbox task, then to the top, then before it, in turn).
-- A scenario with the suffix -br (list-br, page-br) sends what browsers send,
-- Accept-Encoding: br, gzip, so its answers are compressed: what compression costs the server.
local scenario = os.getenv("SCENARIO") or "list"
local accept_encoding = nil
if scenario:match("%-br$") then
  scenario = scenario:gsub("%-br$", "")
  accept_encoding = "br, gzip"
end
local password = os.getenv("BENCH_PASSWORD") or ""
local sync_xid = os.getenv("BENCH_SYNC_XID") or "0"
local rows = {}
for line in io.lines(os.getenv("BENCH_DATA")) do
  -- The user's id (last) is missing from data minted by older revisions (side-by-side runs).
  local token, id, email, project, move_id, move_other, user =
    line:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) ?(%S*)$")
  if token then
    rows[#rows + 1] = { token = token, id = id, email = email, project = project, move_id = move_id,
      move_other = move_other, user = user:gsub("-", "") }
  end
end
local cookies = {}
if scenario == "page" then
  for line in io.lines(os.getenv("BENCH_COOKIES")) do
    if line ~= "" then cookies[#cookies + 1] = line end
  end
end

local counter = 0
local moves = 0
setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

init = function()
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function pick()
  if scenario ~= "mix" then return scenario end
  local r = math.random()
  if r < 0.4 then return "list" elseif r < 0.8 then return "get"
  elseif r < 0.9 then return "create" else return "toggle" end
end

request = function()
  if scenario == "page" then
    return wrk.format("GET", "/tasks", { ["Cookie"] = cookies[math.random(#cookies)], ["Accept"] = "text/html",
      ["Accept-Encoding"] = accept_encoding })
  end
  local row = rows[math.random(#rows)]
  if scenario == "login" then
    return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" },
      '{"email":"' .. row.email .. '","password":"' .. password .. '"}')
  end
  local headers = { ["Authorization"] = "Bearer " .. row.token, ["Accept-Encoding"] = accept_encoding }
  local kind = pick()
  if kind == "list" then
    return wrk.format("GET", "/api/tasks?limit=50", headers)
  elseif kind == "get" then
    return wrk.format("GET", "/api/tasks/" .. row.id, headers)
  elseif kind == "create" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/tasks", headers, '{"title":"Benchmark task"}')
  elseif kind == "due" then
    return wrk.format("GET", "/api/tasks?sort=due&due=upcoming&limit=50", headers)
  elseif kind == "manual" then
    return wrk.format("GET", "/api/tasks?project=" .. row.project .. "&sort=manual&limit=50", headers)
  elseif kind == "sync" then
    -- A client that synced when the benchmark began polls the feed from there.
    local since = sync_xid .. "_" .. sync_xid .. "_-_-_" .. row.user
    return wrk.format("GET", "/api/changes?since=" .. since, headers)
  elseif kind == "move" then
    headers["Content-Type"] = "application/json"
    moves = moves + 1
    local body
    if moves % 3 == 1 then body = '{"after":"' .. row.move_other .. '"}'
    elseif moves % 3 == 2 then body = "{}"
    else body = '{"before":"' .. row.move_other .. '"}' end
    return wrk.format("POST", "/api/tasks/" .. row.move_id .. "/move", headers, body)
  else
    return wrk.format("PATCH", "/api/tasks/" .. row.id .. "/toggle", headers)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.0f p50=%.2f p95=%.2f p99=%.2f max=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
