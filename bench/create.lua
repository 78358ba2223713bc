-- wrk script: POST one ConfigMap per request, each with a unique name, and stop after
-- BENCH_COUNT responses (env, default 10000). Run with -t1 so the counter is exact.
-- Env: BENCH_TOKEN (bearer token), BENCH_NS (namespace, default "bench"), BENCH_COUNT.
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN not set")
local ns = os.getenv("BENCH_NS") or "bench"
local count = tonumber(os.getenv("BENCH_COUNT") or "10000")

local path = "/api/v1/namespaces/" .. ns .. "/configmaps"
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json",
}
local sent, received, bad = 0, 0, 0

-- wrk's own duration is the -d wall time even when a thread stops early, so time the run here
-- (monotonic clock, first request to the count-th response) and end wrk with SIGINT to its main
-- thread (tgkill, so that main's sleep(duration) is the one interrupted).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
int getpid(void);
long syscall(long number, ...);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
local started = nil

function request()
  if not started then started = now() end
  sent = sent + 1
  local body = string.format(
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%06d","labels":{"bench":"create"}},"data":{"key":"value-%06d","other":"some text of moderate length"}}',
    sent, sent)
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  received = received + 1
  if status ~= 201 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
  if received == count then
    local secs = now() - started
    io.write(string.format('CREATE_TIMING {"responses":%d,"seconds":%.4f,"rate":%.1f,"non201":%d}\n',
      received, secs, received / secs, bad))
    io.flush()
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.syscall(234, ffi.cast("long", pid), ffi.cast("long", pid), ffi.cast("long", 2)) -- tgkill(pid, pid, SIGINT)
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"seconds":%.4f,"rate":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
