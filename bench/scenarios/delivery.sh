# Scenario 4: delivery (Kafka -> HTTP service).
#
# Throughput: DELIVERY_MESSAGES messages are produced with kcat to a topic on the embedded
# broker of a Causeway K, then a Causeway D with a delivery route to nginx `return 200`
# reads them all, once at concurrency 1 and once at 16 (a group each, so each run reads
# everything). Baseline: wrk against the same nginx with as many connections.
#
# End-to-end latency: loadgen posts to an event route on K at E2E_RATE/s, each measured
# request stamped with its scheduled send time (x-bench-due, copied onto the message by the
# route's headers:); D delivers to `loadgen record`, which computes arrival - stamp.

DL_K=$((BENCH_PORT_BASE + 20))
DL_K_ADMIN=$((BENCH_PORT_BASE + 21))
DL_D_ADMIN=$((BENCH_PORT_BASE + 22))
DL_SERVICE=$((BENCH_PORT_BASE + 23))
DL_RECORDER=$((BENCH_PORT_BASE + 24))

# delivery_config NAME TOPIC GROUP CONCURRENCY SERVICE_PORT [BROKER_OPTIONS] [MAX_BUFFERED]
delivery_config() {
  local options="" buffered=""
  [ -z "${6:-}" ] || options=", options: { $6 }"
  [ -z "${7:-}" ] || buffered="max_buffered: $7"
  cat > "$WORK/$1.yaml" <<YAML
admin: { listen: 127.0.0.1:$DL_D_ADMIN }
drain_timeout: 2s
brokers:
  events: { bootstrap: "\${KAFKA_BOOTSTRAP}"$options }
upstreams:
  service: { url: "http://127.0.0.1:$5", timeout: 5s }
routes:
  - name: deliver
    from: { broker: events, topic: $2, group: $3 }
    to:   { upstream: service, method: POST, path: "/deliveries/{key}" }
    concurrency: $4
    $buffered
YAML
}

delivered() { metric "$DL_D_ADMIN" '^causeway_deliveries_total\{.*result="success"'; }
not_delivered() { metric "$DL_D_ADMIN" '^causeway_deliveries_total\{.*result="(retry|dead_letter)"'; }

# deliver_all LABEL CONCURRENCY [MAX_BUFFERED]: R[LABEL.rate] messages/s, from the first
# delivery seen to the last (the group's first assignment, a few seconds, is left out).
deliver_all() {
  local label=$1 concurrency=$2 count=0 first_count=0 first_time="" last_progress now previous=-1
  delivery_config "$label" bench.delivery "bench-$label" "$concurrency" "$DL_SERVICE" "" "${3:-}"
  say "$label: delivering $DELIVERY_MESSAGES messages at concurrency $concurrency${3:+, max_buffered $3}"
  start_causeway "$label" "$WORK/$label.yaml" "$DL_D_ADMIN" KAFKA_BOOTSTRAP="$DL_BOOTSTRAP"
  local pid=$LAST_PID first_cpu=0
  last_progress=$EPOCHREALTIME
  while ((count < DELIVERY_MESSAGES)); do
    sleep 0.1
    count=$(delivered)
    now=$EPOCHREALTIME
    if ((count > 0)) && [ -z "$first_time" ]; then
      first_time=$now
      first_count=$count
      first_cpu=$(cpu_seconds "$pid" "$DL_SERVICE_PID")
    fi
    if ((count != previous)); then
      previous=$count
      last_progress=$now
    fi
    awk -v a="$now" -v b="$last_progress" 'BEGIN { exit !(a - b > 30) }' &&
      die "$label: stuck at $count of $DELIVERY_MESSAGES deliveries for 30 s: $(tail -5 "$WORK/$label.log")"
  done
  R[$label.rate]=$(awk -v n="$((count - first_count))" -v a="$first_time" -v b="$now" \
    'BEGIN { printf "%.0f", (b > a) ? n / (b - a) : 0 }')
  R[$label.cpu_us]=$(awk -v n="$((count - first_count))" -v a="$first_cpu" -v b="$(cpu_seconds "$pid" "$DL_SERVICE_PID")" \
    'BEGIN { printf "%.1f", (n > 0) ? (b - a) * 1e6 / n : 0 }')
  R[$label.failed]=$(not_delivered)
  [ "${R[$label.failed]}" = 0 ] || die "$label: ${R[$label.failed]} deliveries failed or were retried"
  stop "$pid"
}

scenario_delivery() {
  check_ports "$DL_K" "$DL_K_ADMIN" "$DL_D_ADMIN" "$DL_SERVICE" "$DL_RECORDER"
  start_nginx delivery-service "$DL_SERVICE 200 {\"ok\":true}"
  DL_SERVICE_PID=$LAST_PID

  cat > "$WORK/delivery-k.yaml" <<YAML
admin: { listen: 127.0.0.1:$DL_K_ADMIN }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$DL_K }
brokers:
  events: { bootstrap: embedded, options: { linger.ms: $LINGER_MS } }
routes:
  - name: event                   # a topic per run, so that no run reads another's stamps
    from: { listener: bench, method: POST, path: "/events/{run}/{customer}" }
    to:   { broker: events, topic: "bench.e2e.{run}", key: "{customer}" }
    headers: [x-bench-due]
YAML
  start_causeway delivery-k "$WORK/delivery-k.yaml" "$DL_K_ADMIN"
  local k_pid=$LAST_PID
  DL_BOOTSTRAP=$(embedded_bootstrap delivery-k)
  [ -n "$DL_BOOTSTRAP" ] || die "no embedded broker address in K's log"

  # 256 keys, so that concurrency 16 has different keys to run in parallel.
  say "delivery: producing $DELIVERY_MESSAGES messages with kcat to $DL_BOOTSTRAP"
  awk -v n="$DELIVERY_MESSAGES" -v body="$BODY" 'BEGIN { for (i = 0; i < n; i++) printf "k%d\t%s\n", i % 256, body }' \
    > "$WORK/messages.txt"
  kcat -b "$DL_BOOTSTRAP" -t bench.delivery -P -K $'\t' -l "$WORK/messages.txt" ||
    die "kcat could not produce to $DL_BOOTSTRAP"

  deliver_all deliver-c1 1
  deliver_all deliver-c16 16
  # The same with a partition never paused (max_buffered above what a partition holds), to
  # see what the pause at max_buffered (default 1000) costs.
  deliver_all deliver-c16-unpaused 16 "$DELIVERY_MESSAGES"
  MEASURE_PIDS=$DL_SERVICE_PID
  wrk_run service-c1 "http://127.0.0.1:$DL_SERVICE/deliveries/k1" 1 5s 1s
  wrk_run service-c16 "http://127.0.0.1:$DL_SERVICE/deliveries/k1" 16 5s 1s
  MEASURE_PIDS=""
  stop "$DL_SERVICE_PID"

  # End to end: K's event route -> bench.e2e -> D -> the recorder.
  local e2e_rows=() variant label options what
  for variant in "e2e-default||D's defaults (fetch.wait.max.ms 100)" "e2e-fetch5|fetch.wait.max.ms: 5|fetch.wait.max.ms 5 on D"; do
    IFS='|' read -r label options what <<< "$variant"
    spawn "$label-recorder" "$LOADGEN" record --listen "127.0.0.1:$DL_RECORDER" --stamp x-bench-due --idle 5s --timeout 120s
    local recorder_pid=$LAST_PID
    delivery_config "$label" "bench.e2e.$label" "bench-$label" 16 "$DL_RECORDER" "$options"
    start_causeway "$label" "$WORK/$label.yaml" "$DL_D_ADMIN" KAFKA_BOOTSTRAP="$DL_BOOTSTRAP"
    local d_pid=$LAST_PID
    # Wait for the group's assignment: one unstamped event, delivered.
    local before i
    before=$(delivered)
    curl -sf -XPOST -H 'content-type: application/json' -d "$BODY" "http://127.0.0.1:$DL_K/events/$label/warm" > /dev/null ||
      die "$label: the event route did not accept the warm-up event"
    for ((i = 0; i < 300; i++)); do
      (($(delivered) > before)) && break
      sleep 0.1
    done
    (($(delivered) > before)) || die "$label: the warm-up event was not delivered within 30 s"
    loadgen_rate "$label" "http://127.0.0.1:$DL_K/events/$label/c42" "$E2E_RATE" --stamp x-bench-due
    say "$label: waiting for the recorder (it stops 5 s after the last arrival)"
    wait "$recorder_pid" || die "$label: the recorder failed: $(cat "$WORK/$label-recorder.log")"
    forget "$recorder_pid"
    store "$label-e2e" "$(cat "$WORK/$label-recorder.out")"
    # Every accepted event must arrive; more would be redeliveries (at least once), counted.
    ((${R[$label-e2e.received]} >= ${R[$label.measured]})) ||
      die "$label: ${R[$label.measured]} events accepted but ${R[$label-e2e.received]} delivered"
    R[$label.extra]=$((${R[$label-e2e.received]} - ${R[$label.measured]}))
    e2e_rows+=("| $what: event route, HTTP -> 202 | ${R[$label.p50_ms]} | ${R[$label.p90_ms]} | ${R[$label.p99_ms]} | ${R[$label.p999_ms]} | ${R[$label.max_ms]} |")
    e2e_rows+=("| $what: end to end, due time -> service (${R[$label-e2e.received]} received, ${R[$label.extra]} more than sent) | ${R[$label-e2e.p50_ms]} | ${R[$label-e2e.p90_ms]} | ${R[$label-e2e.p99_ms]} | ${R[$label-e2e.p999_ms]} | ${R[$label-e2e.max_ms]} |")
    stop "$d_pid"
  done
  stop "$k_pid"

  {
    section_header "4. Delivery (Kafka -> HTTP service)" delivery
    echo "$DELIVERY_MESSAGES messages (44-byte JSON values, 256 keys) produced first with \`kcat -P\` to \`bench.delivery\`"
    echo "(4 partitions) on the embedded broker of a Causeway K; then a Causeway D (\`bootstrap:\` K's broker, its"
    echo "own group per run) delivers them to nginx \`return 200\`. Rate from the first delivery seen on D's"
    echo "\`causeway_deliveries_total\` (polled every 100 ms) to the last, so the group's first assignment is left out."
    echo "Baseline: \`wrk -cN -d5s\` POSTing to the same nginx. The routes keep the default \`max_buffered\` (1000 unfinished"
    echo "messages per partition, then the partition is paused until half of them are done) except the last row."
    echo
    echo "| concurrency | delivered msg/s | CPU µs/msg (D + nginx) | nginx alone, wrk -cN req/s | CPU µs/req (nginx) | ratio |"
    echo "|---:|---:|---:|---:|---:|---:|"
    echo "| 1 | ${R[deliver-c1.rate]} | ${R[deliver-c1.cpu_us]} | $(round "${R[service-c1.rps]}") | ${R[service-c1.cpu_us]} | $(ratio "${R[deliver-c1.rate]}" "${R[service-c1.rps]}") |"
    echo "| 16 | ${R[deliver-c16.rate]} | ${R[deliver-c16.cpu_us]} | $(round "${R[service-c16.rps]}") | ${R[service-c16.cpu_us]} | $(ratio "${R[deliver-c16.rate]}" "${R[service-c16.rps]}") |"
    echo "| 16, \`max_buffered: $DELIVERY_MESSAGES\` (never paused) | ${R[deliver-c16-unpaused.rate]} | ${R[deliver-c16-unpaused.cpu_us]} | $(round "${R[service-c16.rps]}") | ${R[service-c16.cpu_us]} | $(ratio "${R[deliver-c16-unpaused.rate]}" "${R[service-c16.rps]}") |"
    echo
    echo "End-to-end latency at $E2E_RATE events/s: \`bench/loadgen rate http://K/events/RUN/c42 --rate $E2E_RATE"
    echo "--duration $FIXED_DURATION --warmup 2s --connections $FIXED_CONNECTIONS --stamp x-bench-due\` (the event route copies"
    echo "\`x-bench-due\`, the scheduled send time, onto the message); D (concurrency 16) delivers to"
    echo "\`bench/loadgen record\`, which takes arrival − due. The event route's own figures, same run, are the baseline."
    echo
    echo "| at $E2E_RATE events/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${e2e_rows[@]}"
  } > "$RESULTS_DIR/delivery.md"
}
