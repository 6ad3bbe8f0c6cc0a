# Scenario 1: the event route (HTTP -> embedded Kafka, 202 after the ack) against the
# same request answered by a direct-response route, by nginx, and forwarded through
# Causeway to an nginx backend (DESIGN's baseline for the event route), closed loop with wrk.
# Then, unless PROFILE=0, one more event run under perf for bench/NOTES.md.

scenario_event() {
  local http=$((BENCH_PORT_BASE + 0)) nginx=$((BENCH_PORT_BASE + 1)) admin=$((BENCH_PORT_BASE + 2))
  local backend=$((BENCH_PORT_BASE + 8))
  local reply='{"id":"00000000-0000-0000-0000-000000000000","topic":"bench.events","partition":0,"offset":0}'
  check_ports "$http" "$nginx" "$admin" "$backend"

  cat > "$WORK/event.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http }
brokers:
  events: { bootstrap: embedded, options: { linger.ms: $LINGER_MS } }
upstreams:
  backend: { url: "http://127.0.0.1:$backend" }
routes:
  - name: event
    from: { listener: bench, method: POST, path: "/events/{customer}" }
    to:   { broker: events, topic: bench.events, key: "{customer}" }
  - name: direct
    from: { listener: bench, method: POST, path: "/direct/{customer}" }
    to:   { status: 202, body: '$reply' }
  - name: forward
    from: { listener: bench, method: POST, path: "/forward/{customer}" }
    to:   { upstream: backend }
YAML
  start_causeway event "$WORK/event.yaml" "$admin"
  local causeway_pid=$LAST_PID
  start_nginx event-nginx "$nginx 202 $reply" "$backend 202 $reply"
  local nginx_pid=$LAST_PID

  MEASURE_PIDS=$causeway_pid
  wrk_run event "http://127.0.0.1:$http/events/c42" "$CONNECTIONS" "$DURATION"
  # With more connections: if req/s grows, the event route was bound by waiting for acks.
  wrk_run event-more "http://127.0.0.1:$http/events/c42" "$EVENT_MORE_CONNECTIONS" "$DURATION"
  wrk_run direct "http://127.0.0.1:$http/direct/c42" "$CONNECTIONS" "$DURATION"
  wrk_run forward "http://127.0.0.1:$http/forward/c42" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS=$nginx_pid
  wrk_run nginx "http://127.0.0.1:$nginx/direct/c42" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS=""
  local produced
  produced=$(metric "$admin" '^causeway_produced_total\{.*result="ok"')

  # A separate run under perf, so that the sampling does not lower the figures above.
  local profile="" profile_dso="" profile_comm=""
  if [ "$PROFILE" = 1 ]; then
    say "event: perf record -F 999 -g on causeway for $PROFILE_DURATION"
    spawn perf perf record -F 999 -g -o "$WORK/perf.data" -p "$causeway_pid" -- sleep "${PROFILE_DURATION%s}"
    local perf_pid=$LAST_PID
    sleep 0.5
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$PROFILE_DURATION" -s bench/post.lua "http://127.0.0.1:$http/events/c42" > /dev/null
    wait "$perf_pid" || die "perf record failed: $(cat "$WORK/perf.log")"
    forget "$perf_pid"
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio > "$WORK/perf.txt" 2> /dev/null ||
      die "perf report failed"
    perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio > "$WORK/perf-dso.txt" 2> /dev/null ||
      die "perf report failed"
    profile_dso=$(awk '!/^#/ && NF { sub(/[ \t]+$/, ""); print; if (++n == 8) exit }' "$WORK/perf-dso.txt")
    perf report -i "$WORK/perf.data" --no-children --sort comm -g none --stdio > "$WORK/perf-comm.txt" 2> /dev/null ||
      die "perf report failed"
    profile_comm=$(awk '!/^#/ && NF { sub(/[ \t]+$/, ""); print; if (++n == 8) exit }' "$WORK/perf-comm.txt")
    # perf pads its columns to the longest C++ symbol: trim the padding and the long tails.
    profile=$(awk '!/^#/ && NF { sub(/[ \t]+-[ \t]+-[ \t]*$/, ""); sub(/[ \t]+$/, "");
                                 print substr($0, 1, 160); if (++n == 25) exit }' "$WORK/perf.txt")
  fi
  stop "$causeway_pid"

  # The producer's linger against callers that wait for their 202: the same event route
  # with the broker entry's options as a user would write them, one Causeway each.
  local lingers=("" "linger.ms: 0.1" "linger.ms: 0.5" "linger.ms: 1" "linger.ms: 5" "linger.ms: 5, batch.num.messages: 32" "linger.ms: 20")
  local linger_rows="" i=0
  for options in "${lingers[@]}"; do
    sed "s/options: { linger.ms: $LINGER_MS }/options: { $options }/" "$WORK/event.yaml" > "$WORK/event-linger.yaml"
    start_causeway "event-linger-$i" "$WORK/event-linger.yaml" "$admin"
    MEASURE_PIDS=$LAST_PID
    wrk_run "linger-$i" "http://127.0.0.1:$http/events/c42" "$CONNECTIONS" "$DURATION"
    MEASURE_PIDS=""
    stop "$LAST_PID"
    linger_rows+="| \`{ ${options:-(none: the default, linger.ms 0)} }\` | $(round "${R[linger-$i.rps]}") | $(latency_cells "linger-$i") | $(ratio "${R[linger-$i.rps]}" "${R[forward.rps]}") | $(minus "${R[linger-$i.p99_ms]}" "${R[forward.p99_ms]}") | ${R[linger-$i.cpu_us]} |"$'\n'
    i=$((i + 1))
  done
  stop "$nginx_pid"

  {
    section_header "1. Event route vs direct response vs nginx" event
    echo "Closed loop: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 10s --latency -s bench/post.lua URL\`"
    echo "(POST, 44-byte JSON body) after a 2 s warm-up, one route after the other; wrk shares the cores with"
    echo "the server under test. Event route: embedded broker, \`linger.ms: $LINGER_MS\`, key from the path."
    echo "Latencies are wrk's (closed loop: each connection waits for its answer before sending again)."
    echo
    echo "| route | what answers | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs direct | p99 − direct's (ms) | server CPU µs/req |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    echo "| event | Causeway, 202 after the embedded broker's ack | $(round "${R[event.rps]}") | $(latency_cells event) | $(ratio "${R[event.rps]}" "${R[direct.rps]}") | $(minus "${R[event.p99_ms]}" "${R[direct.p99_ms]}") | ${R[event.cpu_us]} |"
    echo "| event, $EVENT_MORE_CONNECTIONS connections | the same, \`wrk -c$EVENT_MORE_CONNECTIONS\` | $(round "${R[event-more.rps]}") | $(latency_cells event-more) | $(ratio "${R[event-more.rps]}" "${R[direct.rps]}") | $(minus "${R[event-more.p99_ms]}" "${R[direct.p99_ms]}") | ${R[event-more.cpu_us]} |"
    echo "| direct | Causeway, 202 from the route (nothing produced) | $(round "${R[direct.rps]}") | $(latency_cells direct) | 1.00 | +0.00 | ${R[direct.cpu_us]} |"
    echo "| forward | Causeway forwarding to an nginx backend's \`return 202\` | $(round "${R[forward.rps]}") | $(latency_cells forward) | $(ratio "${R[forward.rps]}" "${R[direct.rps]}") | $(minus "${R[forward.p99_ms]}" "${R[direct.p99_ms]}") | ${R[forward.cpu_us]} |"
    echo "| nginx | nginx \`return 202\` (nothing produced) | $(round "${R[nginx.rps]}") | $(latency_cells nginx) | $(ratio "${R[nginx.rps]}" "${R[direct.rps]}") | $(minus "${R[nginx.p99_ms]}" "${R[direct.p99_ms]}") | ${R[nginx.cpu_us]} |"
    echo
    echo "Server CPU µs/req: user + system CPU time of the server process(es) during the measured run (from"
    echo "/proc), divided by the requests answered; less sensitive than req/s to other load on the machine."
    echo
    echo "Messages the broker acknowledged during the event runs and their warm-ups: $produced."
    echo
    echo "### The producer's linger for callers that wait"
    echo
    echo "The event route again, one Causeway per broker \`options:\` below, the same wrk run; the baseline"
    echo "is the forward route above (DESIGN: the event route at 1.0x its req/s, p99 within 2 ms)."
    echo "Each 202 waits for the batch its message is sent in."
    echo
    echo "| broker options | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs forward | p99 − forward's (ms) | server CPU µs/req |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s' "$linger_rows"
    if [ -n "$profile" ]; then
      echo
      echo "### Profile of the event route"
      echo
      echo "\`perf record -F 999 -g -p <causeway>\` during another $PROFILE_DURATION wrk run of the event route, then"
      echo "\`perf report --no-children --sort dso,symbol -g none --stdio\` (cpu-clock; top 25 lines, long C++ names cut):"
      echo
      echo '```'
      echo "$profile"
      echo '```'
      echo
      echo "By library (\`--sort dso\`) and by thread (\`--sort comm\`; cw-worker-N serve HTTP, rdk:* are librdkafka's,"
      echo "rdk:mock is the embedded broker, \`causeway\` the unnamed threads such as the producer's poller):"
      echo
      echo '```'
      echo "$profile_dso"
      echo
      echo "$profile_comm"
      echo '```'
    fi
  } > "$RESULTS_DIR/event.md"
}
