# Scenario 9: event streams (stream: sse). STREAM_CLIENTS clients (bench/sse_clients, one
# epoll thread) hold a stream of a topic on the embedded broker; kcat produces
# STREAM_EVENTS messages to it, and the run ends once every client has every event.
# Causeway's CPU from the first message produced to the last event read, per event per
# client, beside the baseline of the same run: kcat reading the same messages straight
# from the broker (one direct consumer), per event.

scenario_stream() {
  local http=$((BENCH_PORT_BASE + 44)) admin=$((BENCH_PORT_BASE + 45)) clients=${STREAM_CLIENTS:-1000}
  local events=${STREAM_EVENTS:-2000}
  check_ports "$http" "$admin"
  cat > "$WORK/stream.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http, limits: { max_connections: $((clients + 100)) } }
brokers:
  events: { bootstrap: embedded }
routes:
  - name: stream
    from: { listener: bench, method: GET, path: /stream }
    to:   { broker: events, topic: bench.stream, stream: sse }
YAML
  ulimit -n "$(ulimit -Hn)"
  start_causeway stream "$WORK/stream.yaml" "$admin"
  local causeway_pid=$LAST_PID bootstrap
  bootstrap=$(embedded_bootstrap stream)
  say "stream: $clients clients, $events events"
  spawn stream-clients "$SSE_CLIENTS" 127.0.0.1 "$http" /stream "$clients" "$events" 120
  local clients_pid=$LAST_PID i
  for ((i = 0; i < 300; i++)); do
    grep -q '^ready' "$WORK/stream-clients.out" 2> /dev/null && break
    sleep 0.1
  done
  grep -q '^ready' "$WORK/stream-clients.out" || die "stream: the clients' streams did not open"
  local rss_connected before after
  rss_connected=$(metric "$admin" '^process_resident_memory_bytes')
  before=$(cpu_seconds "$causeway_pid/-rdk:mock")
  seq 1 "$events" | sed 's/.*/{"order":&,"total":12.5}/' | kcat -P -b "$bootstrap" -t bench.stream -k bench 2> "$WORK/kcat-produce.log"
  wait "$clients_pid" || true
  forget "$clients_pid"
  after=$(cpu_seconds "$causeway_pid/-rdk:mock")
  local result rss_after
  result=$(tail -1 "$WORK/stream-clients.out")
  rss_after=$(metric "$admin" '^process_resident_memory_bytes')
  # The baseline's CPU: bash's own `time` of the child (user and system seconds).
  local kcat_cpu TIMEFORMAT='%U %S'
  kcat_cpu=$( { time kcat -C -b "$bootstrap" -t bench.stream -o beginning -c "$events" -q > /dev/null 2>&1; } 2>&1 | tail -1 | awk '{ print $1 + $2 }')
  stop "$causeway_pid"

  local total seconds complete
  total=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' <<< "$result")
  complete=$(sed -n 's/.*complete=\([0-9]*\).*/\1/p' <<< "$result")
  seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<< "$result")
  {
    section_header "10. Event streams: one topic to $clients SSE clients" stream
    echo "\`bench/sse_clients\` holds $clients streams of \`GET /stream\` (\`to: {broker: events, topic: bench.stream,"
    echo "stream: sse}\`, embedded broker); \`kcat -P\` then produces $events messages of about 30 bytes. The run"
    echo "ends once every client has every event. CPU is Causeway's without the embedded broker's threads"
    echo "(\`rdk:mock\`), from before the first message to the last event read. Baseline: \`kcat -C\` reading the"
    echo "same $events messages from the broker, one direct consumer (its CPU from bash's \`time\`)."
    echo
    echo "| what | figure |"
    echo "|---|---:|"
    echo "| clients that got all $events events | $complete of $clients |"
    echo "| events handed out (events x clients) | $total |"
    echo "| first to last event read | $seconds s |"
    echo "| events/s across all clients | $(awk -v t="$total" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? t / s : 0) }') |"
    echo "| Causeway CPU per event per client | $(per_request "$before" "$after" "$total") µs |"
    echo "| kcat (direct consumer) CPU per event | $(awk -v c="$kcat_cpu" -v n="$events" 'BEGIN { printf "%.1f", c * 1e6 / n }') µs |"
    echo "| Causeway RSS with the clients connected / after the events | $(mib "$rss_connected") / $(mib "$rss_after") MiB |"
  } > "$RESULTS_DIR/stream.md"
}
