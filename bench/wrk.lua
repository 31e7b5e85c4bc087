-- wrk script of the benchmark: POST one JSON body, each request with its own pre-signed JWT.
--   wrk -t2 -c8 -d10s -s bench/wrk.lua URL -- TOKENS_FILE BODY_FILE THREADS
-- Tokens are partitioned by thread (line i goes to thread i % THREADS): wrk threads have separate Lua
-- states, so no token is sent twice. A thread that runs out starts over and counts `reused` (the service
-- then answers 401, which `response()` counts as non-2xx). done() prints one BENCH_JSON line, with the most
-- tokens any thread took (so the caller knows which tokens of the file were never sent).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local tokens = {}
sent = 0
non2xx = 0
reused = 0
last_bad_status = 0

function init(args)
  local nthreads = tonumber(args[3])
  local i = 0
  for line in io.lines(args[1]) do
    if line ~= "" then
      if i % nthreads == thread_id then tokens[#tokens + 1] = line end
      i = i + 1
    end
  end
  local f = assert(io.open(args[2], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
end

function request()
  sent = sent + 1
  if sent > #tokens then reused = reused + 1 end
  local token = tokens[((sent - 1) % #tokens) + 1]
  return wrk.format(nil, nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, nil)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    last_bad_status = status
  end
end

function done(summary, latency, requests)
  local bad, again, status, max_sent = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    max_sent = math.max(max_sent, t:get("sent"))
    again = again + t:get("reused")
    local s = t:get("last_bad_status")
    if s ~= 0 then status = s end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "non2xx": %d, "last_bad_status": %d, "reused_tokens": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "max_sent_per_thread": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, status, again, e.connect, e.read, e.write, e.timeout, max_sent))
end
