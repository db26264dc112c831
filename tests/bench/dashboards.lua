-- wrk script: dashboard reads spread over many URLs (tests/bench/mixed.sh).
--
--   wrk -t2 -c32 -d20s --latency -s tests/bench/dashboards.lua \
--       -H "Authorization: Bearer $token" http://127.0.0.1:18088 -- paths.txt
--
-- paths.txt: one URL path (with its query) a line, e.g. /api/v1/indicators?level=region.
-- The file may also be named by the environment variable BENCH_PATHS (the script argument wins).
-- Each request is a GET of a path picked at random; each thread has its own seed. The headers
-- given with -H (the bearer token) go on every request. Non-2xx answers are counted by wrk.

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

local requests = {}

function init(args)
  local file = args[1] or os.getenv("BENCH_PATHS")
  if not file or file == "" then
    error("dashboards.lua: no paths file (wrk ... -- paths.txt, or BENCH_PATHS=...)")
  end
  local f, err = io.open(file, "r")
  if not f then
    error("dashboards.lua: cannot open " .. file .. ": " .. tostring(err))
  end
  for line in f:lines() do
    local path = line:match("^%s*(.-)%s*$")
    if path ~= "" and path:sub(1, 1) ~= "#" then
      -- Formatted once here: wrk.format adds the -H headers (and Host).
      requests[#requests + 1] = wrk.format("GET", path)
    end
  end
  f:close()
  if #requests == 0 then
    error("dashboards.lua: no paths in " .. file)
  end
  -- thread_id is set by setup() (nil when the script is used without it).
  local id = tonumber(thread_id) or 0
  math.randomseed(os.time() * 1000 + id * 7919 + #requests)
  -- LuaJIT's first values after seeding are poorly mixed: throw a few away.
  for _ = 1, 10 do math.random() end
end

function request()
  return requests[math.random(#requests)]
end
