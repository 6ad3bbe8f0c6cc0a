# Scenarios 2 and 3: request-reply round trip through two Causeways beside the same round trip
# made directly with librdkafka (bench/kafka_direct), and librdkafka settings tried on it.
#
#   loadgen/wrk -> A (POST /rr: produce to rr.requests on A's embedded broker, wait)
#               -> B (delivery route from rr.requests, bootstrap: ${KAFKA_BOOTSTRAP} = A's broker)
#               -> nginx (return 200 '{"ok":true}') -> B publishes the reply on rr.replies -> A answers
#
# The maximum is a closed loop (wrk, RR_CONNECTIONS connections); the latency is an open
# loop (loadgen) at half that maximum, against the same rate sent to nginx directly and to
# an event route on A. Each tuning row restarts A and B with its settings and measures
# its own maximum and its latency at the same fixed rate as the defaults.

RR_A=$((BENCH_PORT_BASE + 10))
RR_A_ADMIN=$((BENCH_PORT_BASE + 11))
RR_B_ADMIN=$((BENCH_PORT_BASE + 12))
RR_SERVICE=$((BENCH_PORT_BASE + 13))

# "k: v, k: v" -> ", options: { k: v, k: v }", or nothing to keep Causeway's and librdkafka's defaults.
rr_options() { [ -z "$1" ] || echo ", options: { $1 }"; }

# rr_start LABEL A_OPTIONS B_OPTIONS: starts A and B and waits until a round trip works.
rr_start() {
  local label=$1 a_options=$2 b_options=$3 bootstrap
  cat > "$WORK/rr-a-$label.yaml" <<YAML
admin: { listen: 127.0.0.1:$RR_A_ADMIN }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$RR_A }
brokers:
  events: { bootstrap: embedded$(rr_options "$a_options") }
routes:
  - name: rr
    from: { listener: bench, method: POST, path: /rr }
    to:   { broker: events, topic: rr.requests, reply: rr.replies, timeout: 10s }
  - name: event
    from: { listener: bench, method: POST, path: "/events/{customer}" }
    to:   { broker: events, topic: rr.events, key: "{customer}" }
YAML
  cat > "$WORK/rr-b-$label.yaml" <<YAML
admin: { listen: 127.0.0.1:$RR_B_ADMIN }
drain_timeout: 2s
brokers:
  events: { bootstrap: "\${KAFKA_BOOTSTRAP}"$(rr_options "$b_options") }
upstreams:
  service: { url: "http://127.0.0.1:$RR_SERVICE", timeout: 5s }
routes:
  - name: serve
    from: { broker: events, topic: rr.requests, group: rr-service }
    to:   { upstream: service, method: POST, path: /rr }
YAML
  start_causeway "rr-a-$label" "$WORK/rr-a-$label.yaml" "$RR_A_ADMIN"
  RR_A_PID=$LAST_PID
  bootstrap=$(embedded_bootstrap "rr-a-$label")
  [ -n "$bootstrap" ] || die "no embedded broker address in A's log: $(cat "$WORK/rr-a-$label.log")"
  start_causeway "rr-b-$label" "$WORK/rr-b-$label.yaml" "$RR_B_ADMIN" KAFKA_BOOTSTRAP="$bootstrap"
  RR_B_PID=$LAST_PID
  # B's first group assignment takes a few seconds; until then A's requests time out.
  first_round_trip "http://127.0.0.1:$RR_A/rr" 6 ||
    die "rr $label: no round trip within a minute: $(tail -5 "$WORK/rr-b-$label.log")"
}

rr_stop() {
  stop "$RR_B_PID"
  stop "$RR_A_PID"
}

# Counters that should not move while measuring: reply timeouts and orphaned replies on A,
# delivery retries and dead letters on B. [A_ADMIN B_ADMIN]: another pair than this scenario's.
rr_counters() {
  local a=${1:-$RR_A_ADMIN} b=${2:-$RR_B_ADMIN}
  echo "$(metric "$a" '^causeway_reply_timeouts_total')" \
       "$(metric "$a" '^causeway_replies_orphaned_total')" \
       "$(metric "$b" '^causeway_deliveries_total\{.*result="retry"')" \
       "$(metric "$b" '^causeway_deliveries_total\{.*result="dead_letter"')"
}

# rr_problems "BEFORE" "AFTER" [LOADGEN_LABEL]: what moved between two rr_counters, and
# the failed requests of a loadgen run made with --allow-errors; or "none".
rr_problems() {
  local before after names=("reply timeouts" "orphaned replies" "delivery retries" "dead letters") i out=""
  read -ra before <<< "$1"
  read -ra after <<< "$2"
  for i in 0 1 2 3; do
    ((after[i] > before[i])) && out+="${out:+, }$((after[i] - before[i])) ${names[i]}"
  done
  if [ -n "${3:-}" ]; then
    for i in non2xx errors unanswered; do
      ((${R[$3.$i]} > 0)) && out+="${out:+, }${R[$3.$i]} requests $i (${R[$3.statuses]})"
    done
    awk -v a="${R[$3.achieved_rate]}" -v t="${R[$3.target_rate]}" 'BEGIN { exit !(a < 0.95 * t) }' &&
      out+="${out:+, }fell behind the rate (the schedule's latency grows)"
  fi
  echo "${out:-none}"
}

fixed_rate_row() {  # LABEL WHAT CPU_OF
  echo "| $2 | $(round "${R[$1.achieved_rate]}") | ${R[$1.p50_ms]} | ${R[$1.p90_ms]} | ${R[$1.p99_ms]} | ${R[$1.p999_ms]} | ${R[$1.max_ms]} | ${R[$1.cpu_us]} ($3) | ${R[$1.gen_lag_p99_ms]} |"
}

tuning_row() {  # WHAT A_OPTIONS B_OPTIONS MAX_LABEL FIXED_LABEL PROBLEMS
  echo "| $1 | $2 | $3 | $(round "${R[$4.rps]}") | ${R[$4.p50_ms]} | $(round "${R[$5.achieved_rate]}") | ${R[$5.p50_ms]} | ${R[$5.p99_ms]} | ${R[$5.p999_ms]} | ${R[$5.cpu_us]} | ${R[$5.idle_cpu]} | $6 |"
}

# The round trip of A's route made directly by bench/kafka_direct: a librdkafka producer and a
# reply consumer with the settings A has (Causeway's producer defaults from
# proxy/kafka/kafka_conf.cpp plus A's options), against the same embedded broker and the same
# responder (B + nginx). Replies go to a topic of its own, so that A's reply consumer does not
# see them.
rr_direct_command() {  # BOOTSTRAP
  echo "$KAFKA_DIRECT" --bootstrap "$1" --topic rr.requests --reply-topic rr.direct-replies --body "$BODY" \
    --producer enable.idempotence=true --producer partitioner=murmur2_random --producer message.timeout.ms=5000 \
    --producer socket.nagle.disable=true --producer "linger.ms=$LINGER_MS" \
    --consumer fetch.wait.max.ms=5 --consumer enable.auto.commit=false --consumer enable.partition.eof=false \
    --consumer allow.auto.create.topics=true --consumer socket.nagle.disable=true
}

# rr_compare SERVICE_PID: Causeway's round trip beside kafka_direct's, one in flight and at
# half of Causeway's maximum, with fetch.wait.max.ms 5 on both A and B (as sidecar-b.yaml has
# it) so that the broker's fetch waits do not hide what Causeway adds. Each run gets an A and
# B of its own, so a fresh embedded broker: librdkafka's mock walks a partition's log on every
# fetch, and a log filled by an earlier run would slow only the reply topic it filled.
rr_compare() {
  local service_pid=$1 problems=()
  say "rr: Causeway against a direct librdkafka client"
  rr_compare_run rrc-max wrk_run rrc-max "http://127.0.0.1:$RR_A/rr" "${RR_CONNECTIONS%% *}" "$RR_DURATION"
  RR_COMPARE_RATE=$(awk -v m="${R[rrc-max.rps]}" 'BEGIN { printf "%d", m / 2 }')
  [ "$RR_COMPARE_RATE" -ge 1 ] || die "rr: the measured maximum (${R[rrc-max.rps]} req/s) is too low to go on"
  rr_compare_run rrc-one wrk_run rrc-one "http://127.0.0.1:$RR_A/rr" 1 "$RR_ONE_DURATION"
  R["rrc-one.achieved_rate"]=${R[rrc-one.rps]}
  rr_compare_run rrd-one kafka_direct_run rrd-one --in-flight 1 --duration "$RR_ONE_DURATION" --warmup 2s
  # Under this load the tail is the embedded broker's (its log scan grows as the run fills
  # it), and it varies more between runs than the 10% asked of Causeway: hence rounds.
  local round
  for ((round = 1; round <= RR_COMPARE_ROUNDS; round++)); do
    rr_compare_run "rrc-rate-$round" loadgen_rate "rrc-rate-$round" "http://127.0.0.1:$RR_A/rr" "$RR_COMPARE_RATE"
    rr_compare_run "rrd-rate-$round" kafka_direct_run "rrd-rate-$round" --rate "$RR_COMPARE_RATE" --duration "$FIXED_DURATION" --warmup 2s
  done
  local problem
  RR_COMPARE_HEALTH=""
  for problem in "${problems[@]}"; do RR_COMPARE_HEALTH+="${RR_COMPARE_HEALTH:+; }$problem"; done
  RR_COMPARE_HEALTH=${RR_COMPARE_HEALTH:-none}
}

# kafka_direct_run LABEL ARGS...: direct_run of kafka_direct against the running A's broker.
kafka_direct_run() {
  local label=$1
  shift
  direct_run "$label" "${RR_DIRECT[@]}" "$@"
}

# rr_compare_run LABEL COMMAND ARGS...: COMMAND on a fresh A and B (rr_compare's settings).
# What moved in rr_counters goes to rr_compare's problems.
rr_compare_run() {
  local label=$1 before
  shift
  rr_start "compare-$label" "linger.ms: $LINGER_MS, fetch.wait.max.ms: 5" "fetch.wait.max.ms: 5"
  read -ra RR_DIRECT <<< "$(rr_direct_command "$(embedded_bootstrap "rr-a-compare-$label")")"
  before=$(rr_counters)
  MEASURE_PIDS="$RR_A_PID $RR_B_PID $service_pid"
  # The embedded broker is a thread of A (rdk:mock): counted apart, as the broker.
  MEASURE_EACH="a=$RR_A_PID/-rdk:mock broker=$RR_A_PID/rdk:mock b=$RR_B_PID nginx=$service_pid"
  "$@"
  MEASURE_PIDS="" MEASURE_EACH=""
  local moved
  moved=$(rr_problems "$before" "$(rr_counters)")
  [ "$moved" = none ] || problems+=("$label: $moved")
  rr_stop
}

compare_row() {  # LOAD WHAT LABEL DIRECT_LABEL CLIENT_CPU
  echo "| $1 | $2 | $(round "${R[$3.achieved_rate]}") | $(latency_cells "$3") | $(ratio "${R[$3.p50_ms]}" "${R[$4.p50_ms]}") | $(ratio "${R[$3.p99_ms]}" "${R[$4.p99_ms]}") | $5 | ${R[$3.cpu_us_broker]} | ${R[$3.cpu_us_b]} | ${R[$3.cpu_us_nginx]} |"
}

scenario_rr() {
  local LINGER_MS=$RR_LINGER_MS  # A's, and kafka_direct's (bench/lib/common.sh says why)
  check_ports "$RR_A" "$RR_A_ADMIN" "$RR_B_ADMIN" "$RR_SERVICE"
  start_nginx rr-service "$RR_SERVICE 200 {\"ok\":true}"
  local service_pid=$LAST_PID

  say "rr: defaults (linger.ms $LINGER_MS on A, fetch.wait.max.ms left to Causeway)"
  rr_start defaults "linger.ms: $LINGER_MS" ""
  local before
  R[rr.idle_cpu]=$(idle_cpu 3 "$RR_A_PID" "$RR_B_PID")
  before=$(rr_counters)
  MEASURE_PIDS="$RR_A_PID $RR_B_PID $service_pid"
  # A closed loop is bound by connections / round trip when the round trip is mostly
  # waiting (fetch.wait.max.ms): the best of a few connection counts is the maximum.
  local connections best="" maxima=""
  for connections in $RR_CONNECTIONS; do
    wrk_run "rr-max-c$connections" "http://127.0.0.1:$RR_A/rr" "$connections" "$RR_DURATION"
    maxima+="${maxima:+; }-c$connections: $(round "${R[rr-max-c$connections.rps]}") req/s (p50 ${R[rr-max-c$connections.p50_ms]} ms, p99 ${R[rr-max-c$connections.p99_ms]} ms, p99.9 ${R[rr-max-c$connections.p999_ms]} ms, CPU ${R[rr-max-c$connections.cpu_us]} µs/req)"
    if [ -z "$best" ] || awk -v a="${R[rr-max-c$connections.rps]}" -v b="${R[$best.rps]}" 'BEGIN { exit !(a > b) }'; then
      best=rr-max-c$connections
    fi
  done
  local first=rr-max-c${RR_CONNECTIONS%% *} rate
  rate=$(awk -v m="${R[$best.rps]}" 'BEGIN { printf "%d", m / 2 }')
  [ "$rate" -ge 1 ] || die "rr: the measured maximum (${R[$best.rps]} req/s) is too low to go on"
  loadgen_rate rr "http://127.0.0.1:$RR_A/rr" "$rate"
  MEASURE_PIDS=$RR_A_PID
  loadgen_rate rr-event "http://127.0.0.1:$RR_A/events/c42" "$rate"
  MEASURE_PIDS=$service_pid
  loadgen_rate rr-nginx "http://127.0.0.1:$RR_SERVICE/rr" "$rate"
  MEASURE_PIDS=""
  local health
  health=$(rr_problems "$before" "$(rr_counters)")
  rr_stop
  rr_compare "$service_pid"

  # label | A's options | B's options | what changes
  local variants=(
    "linger0|linger.ms: 0||linger.ms 0 on A"
    "linger5|linger.ms: 5||linger.ms 5 on A"
    "fetch5|linger.ms: $LINGER_MS, fetch.wait.max.ms: 5|fetch.wait.max.ms: 5|fetch.wait.max.ms 5 on both"
    "fetch20|linger.ms: $LINGER_MS, fetch.wait.max.ms: 20|fetch.wait.max.ms: 20|fetch.wait.max.ms 20 on both"
    "fetch100|linger.ms: $LINGER_MS, fetch.wait.max.ms: 100|fetch.wait.max.ms: 100|fetch.wait.max.ms 100 on both"
    "latency|linger.ms: 0, fetch.wait.max.ms: 5|linger.ms: 0, fetch.wait.max.ms: 5|linger.ms 0 and fetch.wait.max.ms 5 on both"
  )
  local variant label a_options b_options what rows=()
  if [ "$TUNE" = 1 ]; then
    for variant in "${variants[@]}"; do
      IFS='|' read -r label a_options b_options what <<< "$variant"
      say "rr tuning: $what"
      rr_start "$label" "$a_options" "$b_options"
      R[tune-$label.idle_cpu]=$(idle_cpu 3 "$RR_A_PID" "$RR_B_PID")
      before=$(rr_counters)
      MEASURE_PIDS="$RR_A_PID $RR_B_PID $service_pid"
      wrk_run "tune-$label-max" "http://127.0.0.1:$RR_A/rr" "${RR_CONNECTIONS%% *}" "$TUNE_MAX_DURATION" 1s
      # A setting that cannot keep up with the rate is a finding, not a reason to stop.
      loadgen_rate "tune-$label" "http://127.0.0.1:$RR_A/rr" "$rate" --allow-errors
      MEASURE_PIDS=""
      rows+=("$(tuning_row "$what" "\`${a_options:-(defaults)}\`" "\`${b_options:-(defaults)}\`" "tune-$label-max" "tune-$label" \
                "$(rr_problems "$before" "$(rr_counters)" "tune-$label")")")
      rr_stop
    done
  fi
  stop "$service_pid"

  {
    section_header "2. Request-reply round trip through two Causeways" rr
    echo "Client -> A (\`to: {broker, topic: rr.requests, reply: rr.replies}\`, embedded broker) -> B (delivery"
    echo "route from rr.requests, \`bootstrap: "\${KAFKA_BOOTSTRAP}"\` = A's broker, concurrency 16) -> nginx"
    echo "\`return 200 '{\"ok\":true}'\` -> reply on rr.replies -> A -> client. A: \`linger.ms: $LINGER_MS\`; fetch.wait.max.ms"
    echo "left to Causeway, which sets 5 ms on A (its broker is embedded) but leaves librdkafka's 100 ms on B (an"
    echo "address, so a real Kafka is assumed); B's producer (the replies) has Causeway's default linger.ms, 0."
    echo
    echo "Maximum, closed loop: \`wrk -t$THREADS -cN -d$RR_DURATION --timeout 10s --latency -s bench/post.lua http://A/rr\` after a"
    echo "2 s warm-up, for N in $RR_CONNECTIONS: $maxima. Maximum: **$(round "${R[$best.rps]}") req/s**."
    echo "CPU: A, B and nginx together, per request."
    echo
    echo "Latency at half of it, open loop: \`bench/loadgen rate URL --rate $rate --duration $FIXED_DURATION --warmup 2s"
    echo "--connections $FIXED_CONNECTIONS --body '<44 bytes>'\`, latency from each request's scheduled send time."
    echo
    echo "| at $rate req/s | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU µs/req (of) | loadgen lag p99 ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    fixed_rate_row rr "request-reply via A and B" "A+B+nginx"
    fixed_rate_row rr-event "event route on A (202 after the ack)" "A"
    fixed_rate_row rr-nginx "nginx directly (the service B calls)" "nginx"
    echo
    echo "Achieved: answers per second while the schedule ran. CPU: user + system time of the named"
    echo "processes over the loadgen run (warm-up included) per answer. Loadgen lag: how late loadgen itself"
    echo "noticed a request was due (p99); when it is large, the machine, not the server, delayed the sends."
    echo
    echo "Round trip minus nginx: p50 $(minus "${R[rr.p50_ms]}" "${R[rr-nginx.p50_ms]}") ms, p99 $(minus "${R[rr.p99_ms]}" "${R[rr-nginx.p99_ms]}") ms."
    echo "Reply timeouts, orphaned replies, delivery retries or dead letters during these runs: $health."
    echo "Without requests, A and B together use ${R[rr.idle_cpu]} % of one core (consumers polling the broker)."
    echo
    echo "### Causeway against the same round trip made directly with librdkafka"
    echo
    echo "A and B with \`fetch.wait.max.ms: 5\` on both (A also \`linger.ms: $LINGER_MS\`), started afresh for each run below and for"
    echo "the maximum, so that every run meets an empty embedded broker (bench/NOTES.md: its mock walks a partition's"
    echo "log on each fetch, and a reply topic filled by an earlier run slowed only that run's fetches). The direct client is"
    echo "\`bench/kafka_direct\`: it produces each request to rr.requests with the headers A writes (correlation-id,"
    echo "reply-to, reply-partition, content-type, traceparent) and reads the reply that B sends to rr.direct-replies"
    echo "partition 0, with A's settings: producer \`enable.idempotence=true partitioner=murmur2_random"
    echo "message.timeout.ms=5000 socket.nagle.disable=true linger.ms=$LINGER_MS\`, consumer \`fetch.wait.max.ms=5\`; the"
    echo "same embedded broker (a thread of A) and the same responder (B -> nginx). One in flight: Causeway through"
    echo "\`wrk -t1 -c1 -d$RR_ONE_DURATION\` (2 s warm-up), direct \`kafka_direct --in-flight 1 --duration $RR_ONE_DURATION --warmup 2s\`."
    echo "At half of Causeway's maximum here (\`wrk -c${RR_CONNECTIONS%% *} -d$RR_DURATION\`: $(round "${R[rrc-max.rps]}") req/s, p50 ${R[rrc-max.p50_ms]} ms), $RR_COMPARE_RATE/s:"
    echo "Causeway through loadgen as above, direct \`kafka_direct --rate $RR_COMPARE_RATE --duration $FIXED_DURATION --warmup 2s\`,"
    echo "both open loop with latency from the due time, taking turns for $RR_COMPARE_ROUNDS rounds (each row its own A and B)."
    echo
    echo "| load | round trip made by | achieved /s | p50 ms | p99 ms | p99.9 ms | p50 vs direct | p99 vs direct | CPU µs/req: client | broker (rdk:mock) | B | nginx |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    compare_row "one in flight" "Causeway A (HTTP in, Kafka out)" rrc-one rrd-one "${R[rrc-one.cpu_us_a]} (A)"
    compare_row "one in flight" "kafka_direct" rrd-one rrd-one "${R[rrd-one.self_cpu_us]} (+ ${R[rrd-one.cpu_us_a]} A idle)"
    local round
    for ((round = 1; round <= RR_COMPARE_ROUNDS; round++)); do
      compare_row "$RR_COMPARE_RATE/s, round $round" "Causeway A (HTTP in, Kafka out)" "rrc-rate-$round" "rrd-rate-$round" "${R[rrc-rate-$round.cpu_us_a]} (A)"
      compare_row "$RR_COMPARE_RATE/s, round $round" "kafka_direct" "rrd-rate-$round" "rrd-rate-$round" "${R[rrd-rate-$round.self_cpu_us]} (+ ${R[rrd-rate-$round.cpu_us_a]} A idle)"
    done
    echo
    echo "Client CPU: A's own threads (all but rdk:mock), or kafka_direct's own time (getrusage) with A's idle"
    echo "threads beside it (its reply consumer and the embedded broker's owner keep polling). A's figure includes"
    echo "serving the HTTP request, which the direct client has no need of. Reply timeouts, orphaned replies,"
    echo "delivery retries or dead letters during these runs: $RR_COMPARE_HEALTH."
    if [ "$TUNE" = 1 ]; then
      echo
      echo "## 3. librdkafka settings on the request-reply round trip"
      echo
      echo "Each row restarts A and B with the options shown (\`brokers.events.options\`), measures its own"
      echo "maximum (\`wrk -c${RR_CONNECTIONS%% *} -d$TUNE_MAX_DURATION\`, 1 s warm-up) and its latency at the defaults' fixed rate,"
      echo "$rate req/s (loadgen as above). The first row is the run of section 2. Idle CPU: percent of one core"
      echo "A and B used together over 3 s without requests, after the warm-up (consumers polling the broker)."
      echo
      echo "| variant | A's options | B's options | max req/s | p50 ms at max | achieved at $rate | p50 ms | p99 ms | p99.9 ms | CPU µs/req A+B+nginx | idle CPU % A+B | problems |"
      echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
      tuning_row defaults "\`linger.ms: $LINGER_MS\`" "\`(defaults)\`" "$first" rr "$health"
      printf '%s\n' "${rows[@]}"
    fi
  } > "$RESULTS_DIR/rr.md"
}
