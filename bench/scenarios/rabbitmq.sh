# Scenario 8: RabbitMQ. A local rabbitmq-server (a plain process on loopback, as the
# integration tests start it), Causeway A with an event route (confirms, mandatory) and a
# request-reply route (direct reply-to), Causeway B as the responder (a delivery route from
# the request queue to nginx, whose answer B publishes to the reply-to). Each Causeway figure
# is beside bench/amqp_direct doing the same work with rabbitmq-c in the same run:
#
#   event:  wrk -> A -> exchange bench (bound to queue bench.events)   vs  amqp_direct publish
#   rr:     wrk/loadgen -> A -> queue bench.rr -> B -> nginx -> reply   vs  amqp_direct rr
#           (the same queue, the same B and nginx)

RB_AMQP=$((BENCH_PORT_BASE + 34))
RB_DIST=$((BENCH_PORT_BASE + 35))
RB_EPMD=$((BENCH_PORT_BASE + 36))
RB_A=$((BENCH_PORT_BASE + 37))
RB_A_ADMIN=$((BENCH_PORT_BASE + 38))
RB_B_ADMIN=$((BENCH_PORT_BASE + 39))
RB_SERVICE=$((BENCH_PORT_BASE + 25))

# rabbit_start: epmd and rabbitmq-server of their own, as the rabbitmq user, everything in
# $WORK/rabbitmq; waits until the queues can be declared. Leaves RB_PID (the launcher) and
# RB_BEAM_PID (the Erlang VM that does the work, whose CPU is the broker's).
rabbit_start() {
  local dir=$WORK/rabbitmq i
  mkdir -p "$dir/mnesia" "$dir/log"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RB_AMQP
disk_free_limit.absolute = 50MB
CONF
  echo '[].' > "$dir/enabled_plugins"
  : > "$dir/rabbitmq-env.conf"
  chown -R rabbitmq:rabbitmq "$dir"
  chmod o+x "$WORK"  # mktemp made it 0700; the rabbitmq user only needs to pass through
  local as_rabbitmq=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups)
  spawn rabbitmq-epmd "${as_rabbitmq[@]}" epmd -port "$RB_EPMD"
  # HOME holds the Erlang cookie; -start_epmd false: the epmd above, not a daemon that outlives the run.
  spawn rabbitmq "${as_rabbitmq[@]}" env HOME="$dir" RABBITMQ_NODENAME="bench-$$@localhost" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RB_AMQP" RABBITMQ_DIST_PORT="$RB_DIST" \
    ERL_EPMD_PORT="$RB_EPMD" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-start_epmd false" \
    /usr/lib/rabbitmq/bin/rabbitmq-server
  RB_PID=$LAST_PID
  for ((i = 0; i < 900; i++)); do
    kill -0 "$RB_PID" 2> /dev/null || die "rabbitmq-server exited: $(tail -20 "$WORK/rabbitmq.out")"
    rabbit_queues 2> /dev/null && break
    sleep 0.1
  done
  ((i < 900)) || die "rabbitmq-server did not accept AMQP within 90 s: $(tail -20 "$WORK/rabbitmq.out")"
  # The launcher script starts the VM as its child and waits for it.
  RB_BEAM_PID=$(cat /proc/"$RB_PID"/task/*/children | tr ' ' '\n' | while read -r pid; do
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = beam.smp ] && echo "$pid"; done | head -1)
  [ -n "$RB_BEAM_PID" ] || die "no beam.smp under rabbitmq-server's launcher ($RB_PID)"
  say "rabbitmq-server ready after $((i / 10)) s (beam.smp $RB_BEAM_PID)"
}

rabbit_stop() {
  stop "$RB_PID"
  # The launcher passes SIGTERM on and waits; a VM it left behind is still ours to end.
  if kill -0 "$RB_BEAM_PID" 2> /dev/null; then stop "$RB_BEAM_PID"; fi
}

# The exchange and queues the routes use, declared (durable) and emptied, so that each
# measured run starts from empty queues. bench.events is bounded: nobody consumes it.
rabbit_queues() {
  "$AMQP_DIRECT" queue --port "$RB_AMQP" --exchange bench --queue bench.events --bind 'created.*' \
    --max-length "$RABBIT_MAX_LENGTH" > /dev/null &&
    "$AMQP_DIRECT" queue --port "$RB_AMQP" --queue bench.rr > /dev/null
}

scenario_rabbitmq() {
  check_ports "$RB_AMQP" "$RB_DIST" "$RB_EPMD" "$RB_A" "$RB_A_ADMIN" "$RB_B_ADMIN" "$RB_SERVICE"
  rabbit_start
  start_nginx rabbit-service "$RB_SERVICE 200 {\"ok\":true}"
  local service_pid=$LAST_PID url="amqp://guest:guest@127.0.0.1:$RB_AMQP/%2f"
  cat > "$WORK/rabbit-a.yaml" <<YAML
admin: { listen: 127.0.0.1:$RB_A_ADMIN }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$RB_A }
brokers:
  rabbit: { type: rabbitmq, url: "$url" }
routes:
  - name: event
    from: { listener: bench, method: POST, path: "/events/{customer}" }
    to:   { broker: rabbit, exchange: bench, routing_key: "created.{customer}" }
  - name: rr
    from: { listener: bench, method: POST, path: /rr }
    to:   { broker: rabbit, exchange: "", routing_key: bench.rr, reply: direct, timeout: 10s }
YAML
  cat > "$WORK/rabbit-b.yaml" <<YAML
admin: { listen: 127.0.0.1:$RB_B_ADMIN }
drain_timeout: 2s
brokers:
  rabbit: { type: rabbitmq, url: "$url" }
upstreams:
  service: { url: "http://127.0.0.1:$RB_SERVICE", timeout: 5s }
routes:
  - name: serve
    from: { broker: rabbit, queue: bench.rr${RABBIT_KEY_HEADER:+, key_header: $RABBIT_KEY_HEADER} }
    to:   { upstream: service, method: POST, path: /rr }
YAML
  start_causeway rabbit-a "$WORK/rabbit-a.yaml" "$RB_A_ADMIN"
  local a_pid=$LAST_PID
  start_causeway rabbit-b "$WORK/rabbit-b.yaml" "$RB_B_ADMIN"
  local b_pid=$LAST_PID
  first_round_trip "http://127.0.0.1:$RB_A/rr" 10 ||
    die "rabbitmq: no round trip through A and B: $(tail -5 "$WORK/rabbit-b.log")"
  local before
  before=$(rr_counters "$RB_A_ADMIN" "$RB_B_ADMIN")

  # Event: Causeway's route, then amqp_direct with as many confirms outstanding as wrk has
  # connections, each after emptying the queue (and a 2 s warm-up, as wrk_run has).
  local amqp=("$AMQP_DIRECT" publish --port "$RB_AMQP" --exchange bench --routing-key created.c42
              --window "$RABBIT_CONNECTIONS" --body "$BODY")
  rabbit_queues
  MEASURE_PIDS=$a_pid MEASURE_EACH="a=$a_pid broker=$RB_BEAM_PID"
  wrk_run rabbit-event "http://127.0.0.1:$RB_A/events/c42" "$RABBIT_CONNECTIONS" "$DURATION"
  rabbit_queues
  "${amqp[@]}" --duration 2s > /dev/null 2>&1 || die "amqp_direct publish (warm-up) failed"
  MEASURE_PIDS="" MEASURE_EACH="a=$a_pid broker=$RB_BEAM_PID"
  direct_run rabbit-publish "${amqp[@]}" --duration "$DURATION"
  local produced
  produced=$(metric "$RB_A_ADMIN" '^causeway_produced_total\{.*result="ok"')

  # Request-reply: the maximum through A (closed loop), then one in flight and half of it,
  # each beside amqp_direct through the same queue, B and nginx.
  rabbit_queues
  MEASURE_PIDS="$a_pid $b_pid $service_pid"
  MEASURE_EACH="a=$a_pid broker=$RB_BEAM_PID b=$b_pid nginx=$service_pid"
  wrk_run rabbit-rr-max "http://127.0.0.1:$RB_A/rr" "${RR_CONNECTIONS%% *}" "$RR_DURATION"
  local rate direct=("$AMQP_DIRECT" rr --port "$RB_AMQP" --routing-key bench.rr --body "$BODY")
  rate=$(awk -v m="${R[rabbit-rr-max.rps]}" 'BEGIN { printf "%d", m / 2 }')
  [ "$rate" -ge 1 ] || die "rabbitmq: the measured request-reply maximum (${R[rabbit-rr-max.rps]} req/s) is too low to go on"
  wrk_run rabbit-rr-one "http://127.0.0.1:$RB_A/rr" 1 "$RR_ONE_DURATION"
  R["rabbit-rr-one.achieved_rate"]=${R[rabbit-rr-one.rps]}
  direct_run rabbit-rrd-one "${direct[@]}" --in-flight 1 --duration "$RR_ONE_DURATION"
  loadgen_rate rabbit-rr "http://127.0.0.1:$RB_A/rr" "$rate"
  direct_run rabbit-rrd "${direct[@]}" --rate "$rate" --duration "$FIXED_DURATION" --warmup 2s
  MEASURE_PIDS="" MEASURE_EACH=""
  local health returns
  health=$(rr_problems "$before" "$(rr_counters "$RB_A_ADMIN" "$RB_B_ADMIN")")
  returns=$(metric "$RB_A_ADMIN" '^causeway_amqp_returns_total')
  stop "$a_pid"
  stop "$b_pid"
  stop "$service_pid"
  local version
  version=$(cat "$WORK"/rabbitmq/log/*.log 2> /dev/null | grep -o 'RabbitMQ [0-9][0-9.]*' | head -1)
  rabbit_stop

  {
    section_header "8. RabbitMQ: Causeway vs rabbitmq-c doing the same directly" rabbitmq
    echo "One rabbitmq-server (${version:-version unknown}, Debian; Erlang $(dpkg-query -W -f='${Version}' erlang-base 2> /dev/null)), a plain process on"
    echo "127.0.0.1:$RB_AMQP with its own epmd, run as the rabbitmq user, data in a temporary directory. Causeway's"
    echo "broker entry has no \`options\` (its defaults); the direct client is \`bench/amqp_direct\` (rabbitmq-c"
    echo "$(dpkg-query -W -f='${Version}' librabbitmq4 2> /dev/null)), one connection and one channel, as Causeway publishes."
    echo
    echo "### Event: HTTP -> exchange, 202 after the broker's confirm"
    echo
    echo "Causeway: \`wrk -t$THREADS -c$RABBIT_CONNECTIONS -d$DURATION --timeout 10s --latency -s bench/post.lua\` on \`/events/c42\` (route to"
    echo "exchange \`bench\`, routing key \`created.{customer}\`) after a 2 s warm-up. Direct: \`amqp_direct publish --window"
    echo "$RABBIT_CONNECTIONS --duration $DURATION\` after a 2 s warm-up run: the same 44-byte body, persistent, \`mandatory\`,"
    echo "confirm mode, the same properties, at most $RABBIT_CONNECTIONS unconfirmed (as $RABBIT_CONNECTIONS waiting callers keep). The exchange"
    echo "is bound to one durable classic queue (\`x-max-length: $RABBIT_MAX_LENGTH\`), emptied before each run."
    echo
    echo "| what publishes | msgs/s | p50 ms | p99 ms | p99.9 ms | msgs/s vs direct | p99 − direct's (ms) | CPU µs/msg: Causeway (A) | the direct client | rabbitmq-server (beam.smp) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    echo "| Causeway event route (wrk -c$RABBIT_CONNECTIONS) | $(round "${R[rabbit-event.rps]}") | $(latency_cells rabbit-event) | $(ratio "${R[rabbit-event.rps]}" "${R[rabbit-publish.rps]}") | $(minus "${R[rabbit-event.p99_ms]}" "${R[rabbit-publish.p99_ms]}") | ${R[rabbit-event.cpu_us_a]} | – | ${R[rabbit-event.cpu_us_broker]} |"
    echo "| amqp_direct publish (window $RABBIT_CONNECTIONS) | $(round "${R[rabbit-publish.rps]}") | $(latency_cells rabbit-publish) | 1.00 | +0.00 | ${R[rabbit-publish.cpu_us_a]} (idle) | ${R[rabbit-publish.self_cpu_us]} | ${R[rabbit-publish.cpu_us_broker]} |"
    echo
    echo "Latency: wrk's from request to answer; amqp_direct's from basic.publish to basic.ack. Messages the broker"
    echo "confirmed to Causeway over its runs and warm-ups: $produced; returned as unroutable: $returns."
    echo
    echo "### Request-reply by direct reply-to"
    echo
    echo "A's route publishes to the default exchange, routing key \`bench.rr\`, \`reply: direct\`; B (delivery route from"
    echo "queue bench.rr) calls nginx \`return 200 '{\"ok\":true}'\` and publishes its answer to the reply-to. The direct client"
    echo "(\`amqp_direct rr\`) publishes the same requests (confirmed, mandatory, persistent, \`reply_to: amq.rabbitmq.reply-to\`,"
    echo "a correlation id) on a channel that consumes amq.rabbitmq.reply-to, through the same queue, B and nginx."
    if [ -n "$RABBIT_KEY_HEADER" ]; then
      echo "B's route has \`key_header: $RABBIT_KEY_HEADER\` (RABBIT_KEY_HEADER): messages are kept in order per that header."
    else
      echo "B's route has no \`key_header\`, so B keeps messages in order per routing key, and every request here has the"
      echo "same one: B calls nginx for one at a time (RABBIT_KEY_HEADER=correlation-id gives each request a key of its own)."
    fi
    echo "Causeway's maximum, \`wrk -c${RR_CONNECTIONS%% *} -d$RR_DURATION\`: $(round "${R[rabbit-rr-max.rps]}") req/s (p50 ${R[rabbit-rr-max.p50_ms]} ms, p99 ${R[rabbit-rr-max.p99_ms]} ms, CPU"
    echo "${R[rabbit-rr-max.cpu_us]} µs/req A + B + nginx). One in flight: \`wrk -t1 -c1 -d$RR_ONE_DURATION\` against"
    echo "\`amqp_direct rr --in-flight 1 --duration $RR_ONE_DURATION\`. At half the maximum, $rate/s: loadgen (as in section 2)"
    echo "against \`amqp_direct rr --rate $rate --duration $FIXED_DURATION --warmup 2s\`, latency from each request's due time."
    echo
    echo "| load | round trip made by | achieved /s | p50 ms | p99 ms | p99.9 ms | p50 vs direct | p99 vs direct | CPU µs/req: client | broker (beam.smp) | B | nginx |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    compare_row "one in flight" "Causeway A (HTTP in, AMQP out)" rabbit-rr-one rabbit-rrd-one "${R[rabbit-rr-one.cpu_us_a]} (A)"
    compare_row "one in flight" "amqp_direct rr" rabbit-rrd-one rabbit-rrd-one "${R[rabbit-rrd-one.self_cpu_us]} (+ ${R[rabbit-rrd-one.cpu_us_a]} A idle)"
    compare_row "$rate/s" "Causeway A (HTTP in, AMQP out)" rabbit-rr rabbit-rrd "${R[rabbit-rr.cpu_us_a]} (A)"
    compare_row "$rate/s" "amqp_direct rr" rabbit-rrd rabbit-rrd "${R[rabbit-rrd.self_cpu_us]} (+ ${R[rabbit-rrd.cpu_us_a]} A idle)"
    echo
    echo "CPU per request: user + system time of each process over the run (loadgen's and amqp_direct's warm-ups"
    echo "included) per answer; the direct client's own from getrusage. Reply timeouts, orphaned replies, delivery"
    echo "retries or dead letters during these runs: $health."
  } > "$RESULTS_DIR/rabbitmq.md"
}
