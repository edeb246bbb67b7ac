-- Shared by the suite's wrk scripts: the run's summary as one JSON line the suite reads.
threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wrapped") or 0)
  end
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non_2xx_3xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), wrapped))
end
