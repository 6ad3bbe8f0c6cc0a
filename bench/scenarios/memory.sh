# Scenario 5: resident memory (process_resident_memory_bytes on /metrics).
#
#   idle: config/causeway.yaml as shipped (embedded broker), only its addresses moved;
#   pending: MEM_PENDING requests with Prefer: respond-async on a request-reply route
#            nobody answers, so every one stays pending until MEM_PENDING_TIMEOUT;
#   connections: then MEM_CONNECTIONS idle keep-alive connections, each after one request;
#   after: the connections closed, then the pending requests timed out and their outcomes
#          expired (replies.keep 5s): the load has ended, RSS against idle.
# Pending replies come first: memory freed by closed connections stays in the allocator
# and would be reused by them, hiding their cost.
# For the last two the measured Causeway M uses the embedded broker of another Causeway K:
# the messages the pending requests produce are stored in K, not counted in M.

MEM_HTTP=$((BENCH_PORT_BASE + 30))
MEM_ADMIN=$((BENCH_PORT_BASE + 31))
MEM_K=$((BENCH_PORT_BASE + 32))
MEM_K_ADMIN=$((BENCH_PORT_BASE + 33))

rss() { metric "$1" '^process_resident_memory_bytes'; }

# Resident memory settles a moment after load stops (freed buffers, librdkafka batches).
settled_rss() {
  sleep 2
  rss "$1"
}

per_item() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (a - b) / n }'; }

scenario_memory() {
  check_ports "$MEM_HTTP" "$MEM_ADMIN" "$MEM_K" "$MEM_K_ADMIN"
  # Many connections need as many descriptors, here and in loadgen.
  ulimit -n "$(ulimit -Hn)"
  (($(ulimit -n) > MEM_CONNECTIONS + 1000)) ||
    die "ulimit -n is $(ulimit -n): too low for MEM_CONNECTIONS=$MEM_CONNECTIONS; lower it"

  sed -e "s/0\.0\.0\.0:8080/127.0.0.1:$MEM_HTTP/" -e "s/127\.0\.0\.1:9901/127.0.0.1:$MEM_ADMIN/" \
    config/causeway.yaml > "$WORK/memory-default.yaml"
  grep -q "127.0.0.1:$MEM_HTTP" "$WORK/memory-default.yaml" && grep -q "127.0.0.1:$MEM_ADMIN" "$WORK/memory-default.yaml" ||
    die "config/causeway.yaml no longer listens on 0.0.0.0:8080 / 127.0.0.1:9901: update bench/scenarios/memory.sh"
  say "memory: idle RSS with config/causeway.yaml"
  start_causeway memory-default "$WORK/memory-default.yaml" "$MEM_ADMIN"
  local default_pid=$LAST_PID idle_default threads_default
  idle_default=$(settled_rss "$MEM_ADMIN")
  local idle_cpu_default
  idle_cpu_default=$(idle_cpu 5 "$default_pid")
  threads_default=$(metric "$MEM_ADMIN" '^process_threads')
  stop "$default_pid"

  cat > "$WORK/memory-k.yaml" <<YAML
admin: { listen: 127.0.0.1:$MEM_K_ADMIN }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$MEM_K }
brokers:
  events: { bootstrap: embedded }
routes:
  - name: ping
    from: { listener: bench, path: /ping }
    to:   { status: 200, body: '{"ok":true}' }
YAML
  cat > "$WORK/memory-m.yaml" <<YAML
admin: { listen: 127.0.0.1:$MEM_ADMIN }
drain_timeout: 2s
listeners:
  bench:
    protocol: http
    listen: 127.0.0.1:$MEM_HTTP
    limits: { max_connections: $((MEM_CONNECTIONS + 100)) }
brokers:
  events: { bootstrap: "\${KAFKA_BOOTSTRAP}", options: { linger.ms: $LINGER_MS } }
replies: { max_pending: $((MEM_PENDING + 1000)), keep: 5s }
routes:
  - name: ping
    from: { listener: bench, path: /ping }
    to:   { status: 200, body: '{"ok":true}' }
  - name: pending
    from: { listener: bench, method: POST, path: /pending }
    to:   { broker: events, topic: mem.requests, reply: mem.replies, timeout: $MEM_PENDING_TIMEOUT }
YAML
  start_causeway memory-k "$WORK/memory-k.yaml" "$MEM_K_ADMIN"
  local k_pid=$LAST_PID bootstrap
  bootstrap=$(embedded_bootstrap memory-k)
  start_causeway memory-m "$WORK/memory-m.yaml" "$MEM_ADMIN" KAFKA_BOOTSTRAP="$bootstrap"
  local m_pid=$LAST_PID idle held closed ended pending connections pending_count i
  curl -sf "http://127.0.0.1:$MEM_HTTP/ping" > /dev/null || die "memory: /ping did not answer 2xx"
  idle=$(settled_rss "$MEM_ADMIN")

  say "memory: leaving $MEM_PENDING requests pending (Prefer: respond-async, nobody answers)"
  local args=(rate "http://127.0.0.1:$MEM_HTTP/pending" --rate "$MEM_PENDING_RATE" --requests "$MEM_PENDING"
              --connections 64 --drain 120s --body "$BODY" --header "Prefer: respond-async")
  "$LOADGEN" "${args[@]}" > "$WORK/memory-pending.loadgen" 2> "$WORK/memory-pending.log" ||
    die "memory: not every pending request was accepted: $(cat "$WORK/memory-pending.log" "$WORK/memory-pending.loadgen")"
  store memory-pending "$(cat "$WORK/memory-pending.loadgen")"
  pending=$(settled_rss "$MEM_ADMIN")
  pending_count=$(metric "$MEM_ADMIN" '^causeway_replies_pending')
  ((pending_count >= MEM_PENDING)) || die "memory: causeway_replies_pending is $pending_count, not $MEM_PENDING"

  say "memory: holding $MEM_CONNECTIONS idle keep-alive connections"
  spawn memory-hold "$LOADGEN" hold "http://127.0.0.1:$MEM_HTTP/ping" --connections "$MEM_CONNECTIONS" --duration 10m
  local hold_pid=$LAST_PID
  for ((i = 0; i < 1200; i++)); do
    grep -qs '^held=' "$WORK/memory-hold.out" && break
    kill -0 "$hold_pid" 2>/dev/null || die "memory: loadgen hold failed: $(cat "$WORK/memory-hold.log")"
    sleep 0.1
  done
  grep -q '^held=' "$WORK/memory-hold.out" || die "memory: $MEM_CONNECTIONS connections not open after 2 minutes"
  held=$(settled_rss "$MEM_ADMIN")
  connections=$(metric "$MEM_ADMIN" '^causeway_http_connections\{')
  ((connections >= MEM_CONNECTIONS)) || die "memory: Causeway counts $connections open connections, not $MEM_CONNECTIONS"
  stop "$hold_pid"
  grep -q '^closed_by_server=0' "$WORK/memory-hold.out" ||
    die "memory: Causeway closed held connections: $(cat "$WORK/memory-hold.out")"
  closed=$(settled_rss "$MEM_ADMIN")
  say "memory: waiting for the pending requests to time out ($MEM_PENDING_TIMEOUT) and their outcomes to expire"
  for ((i = 0; $(metric "$MEM_ADMIN" '^causeway_replies_pending') > 0; i++)); do
    ((i < 3000)) || die "memory: requests still pending 5 minutes after the connections closed"
    sleep 0.1
  done
  sleep 6  # replies.keep 5s, then the allocator's trim (one look every 2 s)
  ended=$(settled_rss "$MEM_ADMIN")
  stop "$m_pid"
  stop "$k_pid"

  {
    section_header "5. Memory" memory
    echo "Resident memory from \`process_resident_memory_bytes\`, read 2 s after each step. The default config is"
    echo "\`config/causeway.yaml\` with its addresses moved to 127.0.0.1:$MEM_HTTP/$MEM_ADMIN ($threads_default threads). For the other"
    echo "rows Causeway M has a direct route \`/ping\` and a request-reply route nobody answers (\`timeout: $MEM_PENDING_TIMEOUT\`,"
    echo "\`replies: { max_pending: $((MEM_PENDING + 1000)), keep: 5s }\`, \`max_connections: $((MEM_CONNECTIONS + 100))\`), and uses the embedded broker of another"
    echo "Causeway, so the stored request messages are not in M's memory. Pending first (memory freed by closed"
    echo "connections would otherwise be reused by them): \`bench/loadgen rate http://M/pending --rate $MEM_PENDING_RATE"
    echo "--requests $MEM_PENDING --connections 64 --drain 120s --body '<44 bytes>' --header 'Prefer: respond-async'\`"
    echo "(all answered 202 + Location; sent at $(round "${R[memory-pending.achieved_rate]}") req/s). Then, with those still pending,"
    echo "\`bench/loadgen hold URL --connections $MEM_CONNECTIONS\` opens the connections, sends one GET /ping on each, keeps them idle."
    echo "Last, once the connections have closed, the pending requests time out and their outcomes expire: the load has ended."
    echo
    echo "| state | RSS MiB | change MiB | per item |"
    echo "|---|---:|---:|---:|"
    echo "| default config, idle ($idle_cpu_default % of a core over 5 s) | $(mib "$idle_default") | | |"
    echo "| M, idle (after one request) | $(mib "$idle") | | |"
    echo "| M + $MEM_PENDING pending replies | $(mib "$pending") | $(mib $((pending - idle))) | $(per_item "$pending" "$idle" "$MEM_PENDING") bytes/pending reply |"
    echo "| M + those + $MEM_CONNECTIONS idle keep-alive connections | $(mib "$held") | $(mib $((held - pending))) | $(per_item "$held" "$pending" "$MEM_CONNECTIONS") bytes/connection |"
    echo "| M after the connections closed | $(mib "$closed") | $(mib $((closed - pending))) | |"
    echo "| M once the pending requests timed out and expired: the load has ended | $(mib "$ended") | $(mib $((ended - idle))) from idle | $(ratio "$ended" "$idle")x idle |"
  } > "$RESULTS_DIR/memory.md"
}
