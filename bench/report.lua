-- wrk's report for bench/run, shared by bench/post.lua and bench/get.lua: one
-- machine-readable line (wrk's own summary has no p99.9 and rounds).
-- wrk counts answers >= 400 in errors.status; its "Non-2xx or 3xx" line covers 3xx too,
-- which none of the benchmarked routes send.
function done(summary, latency, requests)
  local e = summary.errors
  local function ms(us) return us / 1000 end
  io.write(string.format(
    "bench: rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
