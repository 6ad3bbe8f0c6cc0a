# Shared by bench/run and the scenarios: settings, processes, measurements, tables.
# Sourced, not run; expects `set -euo pipefail` and the repository root as $PWD.

# ---- settings (environment overrides; RESULTS.md records what was used) --------------
DURATION=${DURATION:-15s}                  # closed-loop wrk runs of the event scenario
CONNECTIONS=${CONNECTIONS:-64}             # wrk connections, event scenario
EVENT_MORE_CONNECTIONS=${EVENT_MORE_CONNECTIONS:-256}  # one more event run with this many
FORWARD_CONNECTIONS=${FORWARD_CONNECTIONS:-32 256}  # wrk connections, forward scenario (each count)
FORWARD_UPSTREAM_CONNECTIONS=${FORWARD_UPSTREAM_CONNECTIONS:-128}  # the forward upstream's max_connections
THREADS=${THREADS:-2}                      # wrk threads
LINGER_MS=${LINGER_MS:-0}                  # producer linger.ms of the event scenario's route (Causeway's default)
# A's linger.ms in the rr scenario. The embedded broker finds a fetch's offset by walking its
# message sets (one per produce request at linger.ms 0, kept up to 5 MiB per partition), so a
# sustained round trip at linger 0 saturates its thread once the log has filled (bench/NOTES.md).
RR_LINGER_MS=${RR_LINGER_MS:-1}
FIXED_DURATION=${FIXED_DURATION:-10s}      # every open-loop (fixed-rate) run, after a 2 s warm-up
FIXED_CONNECTIONS=${FIXED_CONNECTIONS:-256}  # loadgen connections: enough for rate x latency
RR_CONNECTIONS=${RR_CONNECTIONS:-128 512}  # wrk connections for the request-reply maximum (the best
                                           # counts; tuning rows use the first)
RR_DURATION=${RR_DURATION:-10s}            # wrk run for the request-reply maximum
RR_ONE_DURATION=${RR_ONE_DURATION:-10s}    # one request in flight: Causeway (wrk -c1) and kafka_direct
RR_COMPARE_ROUNDS=${RR_COMPARE_ROUNDS:-3}  # Causeway and kafka_direct at half the maximum, taking turns
RABBIT_CONNECTIONS=${RABBIT_CONNECTIONS:-$CONNECTIONS}  # wrk connections and amqp_direct's window, RabbitMQ events
RABBIT_MAX_LENGTH=${RABBIT_MAX_LENGTH:-100000}  # x-max-length of the event queue nobody consumes
RABBIT_KEY_HEADER=${RABBIT_KEY_HEADER:-}    # B's key_header (order per key); empty: the routing key,
                                           # which every request shares
TUNE=${TUNE:-1}                            # 0 skips the librdkafka tuning rows of the rr scenario
TUNE_MAX_DURATION=${TUNE_MAX_DURATION:-5s} # wrk run for each tuning row's maximum
DELIVERY_MESSAGES=${DELIVERY_MESSAGES:-50000}
E2E_RATE=${E2E_RATE:-1000}                 # events/s for the end-to-end latency run
MEM_CONNECTIONS=${MEM_CONNECTIONS:-10000}  # idle keep-alive connections held open
MEM_PENDING=${MEM_PENDING:-100000}         # requests left waiting for a reply
MEM_PENDING_RATE=${MEM_PENDING_RATE:-10000}  # how fast they are sent (queued in loadgen if slower)
MEM_PENDING_TIMEOUT=${MEM_PENDING_TIMEOUT:-60s}  # then they time out: the load has ended
PROFILE=${PROFILE:-1}                      # 0 skips perf
PROFILE_DURATION=${PROFILE_DURATION:-10s}
NGINX_WORKERS=${NGINX_WORKERS:-2}
BUILD_DIR=${BUILD_DIR:-build}              # "build" builds through scripts/setup, anything else with cmake
BUILD_JOBS=${BUILD_JOBS:-2}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-18400}  # every port the run binds is BASE..BASE+39 on 127.0.0.1
KEEP_WORK=${KEEP_WORK:-0}                  # 1 keeps logs, configs and raw outputs in $WORK

BODY='{"sku":"A1","quantity":2,"note":"benchmark"}'  # the same 44 bytes as bench/post.lua
CAUSEWAY=$PWD/$BUILD_DIR/causeway
# An allocator to try under Causeway alone, e.g. /usr/lib/x86_64-linux-gnu/libmimalloc.so.2.
CAUSEWAY_PRELOAD=${CAUSEWAY_PRELOAD:-}
LOADGEN=$PWD/$BUILD_DIR/bench/loadgen
GRPC_BENCH=$PWD/$BUILD_DIR/bench/grpc_bench
KAFKA_DIRECT=$PWD/$BUILD_DIR/bench/kafka_direct
AMQP_DIRECT=$PWD/$BUILD_DIR/bench/amqp_direct
SSE_CLIENTS=$PWD/$BUILD_DIR/bench/sse_clients
RESULTS_DIR=$PWD/bench/results

declare -A R  # results of this run: R[label.field], filled by wrk_run, loadgen_rate, store

# ---- output -------------------------------------------------------------------------
say() { printf '%(%H:%M:%S)T bench: %s\n' -1 "$*" >&2; }
die() {
  printf 'bench: FAILED: %s\n' "$*" >&2
  exit 1
}

# ---- processes: everything started here is in PIDS and stopped on exit ---------------
PIDS=()
WORK=$(mktemp -d /tmp/causeway-bench.XXXX)

cleanup() {
  local status=$? pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  if [ "$KEEP_WORK" = 1 ] || [ "$status" -ne 0 ]; then
    say "logs and raw outputs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# spawn NAME COMMAND...: runs it in the background, stdout to $WORK/NAME.out and stderr
# to $WORK/NAME.log; its pid is left in LAST_PID.
spawn() {
  local name=$1
  shift
  "$@" > "$WORK/$name.out" 2> "$WORK/$name.log" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# stop PID: SIGTERM, then SIGKILL if it has not exited within 20 s (Causeway drains first).
stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

# forget PID: a process that exited and was waited for is no longer ours to stop.
forget() {
  local kept=() i
  for i in "${PIDS[@]}"; do [ "$i" = "$1" ] || kept+=("$i"); done
  PIDS=("${kept[@]}")
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# Fail before starting anything if a port of this run is taken (another bench, a test).
check_ports() {
  local port
  for port in "$@"; do port_free "$port" || die "port $port is in use; set BENCH_PORT_BASE to another range"; done
}

# start_causeway NAME CONFIG ADMIN_PORT [VAR=value...]: starts Causeway with those
# environment variables and waits until /readyz says 200; its pid is left in LAST_PID.
start_causeway() {
  local name=$1 config=$2 admin=$3 i
  shift 3
  spawn "$name" env ${CAUSEWAY_PRELOAD:+LD_PRELOAD=$CAUSEWAY_PRELOAD} "$@" "$CAUSEWAY" --config "$config" --log-level warn
  for ((i = 0; i < 300; i++)); do
    kill -0 "$LAST_PID" 2>/dev/null || die "causeway '$name' exited: $(tail -5 "$WORK/$name.log")"
    curl -sf "http://127.0.0.1:$admin/readyz" > /dev/null && return 0
    sleep 0.1
  done
  die "causeway '$name' not ready after 30 s: $(tail -5 "$WORK/$name.log")"
}

# first_round_trip URL TRIES: true once a POST of $BODY to URL is answered 2xx (each try
# waits up to 12 s: a responder's first assignment takes seconds), false after TRIES.
first_round_trip() {
  local i
  for ((i = 0; i < $2; i++)); do
    curl -sf --max-time 12 -XPOST -H 'content-type: application/json' -d "$BODY" "$1" > /dev/null && return 0
    sleep 0.5
  done
  return 1
}

# The embedded broker's address, from the startup log of the Causeway that runs it.
embedded_bootstrap() {
  grep -o 'embedded Kafka broker listening on [^ ]*' "$WORK/$1.log" | awk '{ print $NF }' | head -1
}

# run_nginx NAME HTTP_BLOCK PORT...: nginx with HTTP_BLOCK (server and upstream blocks)
# in its http section, waited for until every PORT answers; its pid is left in LAST_PID.
run_nginx() {
  local name=$1 block=$2 port i
  shift 2
  mkdir -p "$WORK/$name-body"
  cat > "$WORK/$name.conf" <<NGINX
daemon off;
worker_processes $NGINX_WORKERS;
pid $WORK/$name.pid;
error_log $WORK/$name-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$name-body;
$block
}
NGINX
  spawn "$name" /usr/sbin/nginx -c "$WORK/$name.conf" -e "$WORK/$name-error.log"
  for port in "$@"; do
    for ((i = 0; i < 100; i++)); do
      curl -s -o /dev/null "http://127.0.0.1:$port/" && continue 2
      sleep 0.1
    done
    die "nginx '$name' does not answer on port $port: $(cat "$WORK/$name-error.log")"
  done
}

# start_nginx NAME "PORT STATUS BODY"...: one server per spec answering every request
# from its config (no upstream, no disk); its pid is left in LAST_PID.
start_nginx() {
  local name=$1 spec port status body servers="" ports=()
  shift
  for spec in "$@"; do
    read -r port status body <<< "$spec"
    servers+="  server { listen 127.0.0.1:$port; keepalive_requests 1000000; location / { return $status '$body'; } }"$'\n'
    ports+=("$port")
  done
  run_nginx "$name" "$servers" "${ports[@]}"
}

# metric ADMIN_PORT REGEX: the sum of the samples whose line matches REGEX.
metric() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v re="$2" '$0 ~ re { sum += $NF } END { printf "%.0f\n", sum }'
}

# ---- measurements -------------------------------------------------------------------

# cpu_seconds PID...: CPU time (user + system) of the processes and their children so far
# (nginx: master and workers), from /proc.
#   PID/PREFIX counts only the threads of PID whose name starts with PREFIX, and PID/-PREFIX
#   the others, e.g. 123/rdk:mock: the embedded broker's thread inside a Causeway.
cpu_seconds() {
  local pid children=() ticks=0 fields spec pids=() task prefix keep match
  for spec in "$@"; do
    [[ $spec == */* ]] || { pids+=("$spec"); continue; }
    pid=${spec%%/*} prefix=${spec#*/} keep=1
    [[ $prefix != -* ]] || { prefix=${prefix#-}; keep=0; }
    for task in /proc/"$pid"/task/*/stat; do
      read -ra fields < "$task" 2> /dev/null || continue
      # Field 2 is "(name)"; the thread names here have no spaces.
      match=0
      [[ ${fields[1]#(} != "$prefix"* ]] || match=1
      [ "$match" = "$keep" ] || continue
      ticks=$((ticks + fields[13] + fields[14]))
    done
  done
  set -- "${pids[@]}"
  for pid in "$@"; do
    read -ra fields <<< "$(cat "/proc/$pid/task/"*/children 2> /dev/null | tr '\n' ' ' || true)"
    children+=("${fields[@]}")
  done
  for pid in "$@" "${children[@]}"; do
    read -ra fields < "/proc/$pid/stat" || continue
    # Fields 14 and 15 (utime, stime) counted from 1; the command name has no spaces here.
    ticks=$((ticks + fields[13] + fields[14]))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# idle_cpu SECONDS PID...: percent of one core the processes use over SECONDS of no load.
idle_cpu() {
  local seconds=$1 before after
  shift
  before=$(cpu_seconds "$@")
  sleep "$seconds"
  after=$(cpu_seconds "$@")
  awk -v a="$before" -v b="$after" -v s="$seconds" 'BEGIN { printf "%.1f", (b - a) * 100 / s }'
}

# store LABEL "k=v k=v ...": R[LABEL.k]=v for each pair.
store() {
  local label=$1 pair
  for pair in $2; do R[$label.${pair%%=*}]=${pair#*=}; done
}

# MEASURE_PIDS: the servers (pids, space-separated) whose CPU time per request wrk_run,
# loadgen_rate and direct_run record in R[LABEL.cpu_us], when set.
# MEASURE_EACH: "NAME=PID[,PID...] ..." (cpu_seconds' forms): each group's CPU time per
# request goes to R[LABEL.cpu_us_NAME] as well, one figure per process (proxy, backend, broker).
MEASURE_PIDS=""
MEASURE_EACH=""
cpu_mark() {  # "TOTAL NAME=SECONDS ..."
  local out=0 group pids
  # shellcheck disable=SC2086 # lists of pids
  [ -z "$MEASURE_PIDS" ] || out=$(cpu_seconds $MEASURE_PIDS)
  for group in $MEASURE_EACH; do
    pids=${group#*=}
    # shellcheck disable=SC2086
    out+=" ${group%%=*}=$(cpu_seconds ${pids//,/ })"
  done
  echo "$out"
}
per_request() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / n : 0) }'; }
cpu_per_request() {  # LABEL "BEFORE" "AFTER" REQUESTS (two cpu_marks)
  local before after i
  read -ra before <<< "$2"
  read -ra after <<< "$3"
  [ -z "$MEASURE_PIDS" ] || R[$1.cpu_us]=$(per_request "${before[0]}" "${after[0]}" "$4")
  for ((i = 1; i < ${#before[@]}; i++)); do
    R[$1.cpu_us_${before[i]%%=*}]=$(per_request "${before[i]#*=}" "${after[i]#*=}" "$4")
  done
}

# wrk_run LABEL URL CONNECTIONS DURATION [WARMUP]: closed loop with $WRK_SCRIPT
# (bench/post.lua: POST, 44-byte JSON, unless set); R[LABEL.rps|p50_ms|p90_ms|p99_ms|p999_ms|max_ms].
# Any non-2xx answer or socket error (timeouts included) fails the run.
WRK_SCRIPT=bench/post.lua
wrk_run() {
  local label=$1 url=$2 connections=$3 duration=$4 warmup=${5:-2s} out line cpu_before cpu_after
  local threads=$((THREADS < connections ? THREADS : connections))  # wrk wants a connection per thread
  say "$label: wrk -c$connections -d$duration $url"
  [ "$warmup" = 0 ] || wrk -t"$threads" -c"$connections" -d"$warmup" --timeout 10s -s "$WRK_SCRIPT" "$url" > /dev/null
  cpu_before=$(cpu_mark)
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency -s "$WRK_SCRIPT" "$url")
  cpu_after=$(cpu_mark)
  echo "$out" > "$WORK/$label.wrk"
  line=$(grep '^bench: ' <<< "$out") || die "$label: no result from wrk: $out"
  store "$label" "${line#bench: }"
  cpu_per_request "$label" "$cpu_before" "$cpu_after" "${R[$label.requests]}"
  if [ "${R[$label.non2xx]}" != 0 ] || [ "${R[$label.socket_errors]}" != 0 ]; then
    die "$label: ${R[$label.non2xx]} non-2xx answers and ${R[$label.socket_errors]} socket errors from $url: $out"
  fi
  R[$label.cmd]="wrk -t$threads -c$connections -d$duration --timeout 10s --latency -s $WRK_SCRIPT $url"
}

# grpc_run LABEL ADDRESS METHOD HEX: bench/grpc_bench's closed loop with CONNECTIONS calls in
# flight for DURATION after a 2 s warm-up run; R[LABEL.*] as wrk_run's. A call that does not end OK
# fails the run.
grpc_run() {
  local label=$1 address=$2 method=$3 hex=$4 line cpu_before cpu_after
  say "$label: grpc_bench load $address $method, $CONNECTIONS calls in flight for $DURATION"
  "$GRPC_BENCH" load "$address" "$method" "$hex" --calls "$CONNECTIONS" --duration 2 --warmup 0 > /dev/null \
    2> "$WORK/$label.grpc.log" || die "$label: grpc_bench warm-up failed: $(cat "$WORK/$label.grpc.log")"
  cpu_before=$(cpu_mark)
  line=$("$GRPC_BENCH" load "$address" "$method" "$hex" --calls "$CONNECTIONS" --duration "${DURATION%s}" --warmup 0 \
           2> "$WORK/$label.grpc.log") || die "$label: grpc_bench failed: $(cat "$WORK/$label.grpc.log") $line"
  cpu_after=$(cpu_mark)
  store "$label" "${line#bench: }"
  cpu_per_request "$label" "$cpu_before" "$cpu_after" "${R[$label.requests]}"
  R[$label.cmd]="bench/grpc_bench load $address $method $hex --calls $CONNECTIONS --duration ${DURATION%s}"
}

# loadgen_rate LABEL URL RATE [loadgen options...]: open loop at RATE req/s for
# FIXED_DURATION after a 2 s warm-up, FIXED_CONNECTIONS connections; R[LABEL.*] from its
# output line. loadgen exits non-zero (and so does the run) on any non-2xx or lost request.
loadgen_rate() {
  local label=$1 url=$2 rate=$3 line
  shift 3
  local args=(rate "$url" --rate "$rate" --duration "$FIXED_DURATION" --warmup 2s
              --connections "$FIXED_CONNECTIONS" --body "$BODY" "$@")
  say "$label: loadgen $rate req/s for $FIXED_DURATION on $url"
  # The warm-up's CPU is counted too, spread over the warm-up's requests as well.
  local cpu_before cpu_after
  cpu_before=$(cpu_mark)
  line=$("$LOADGEN" "${args[@]}" 2> "$WORK/$label.loadgen.log") ||
    die "$label: loadgen failed: $(cat "$WORK/$label.loadgen.log") $line"
  cpu_after=$(cpu_mark)
  echo "$line" > "$WORK/$label.loadgen"
  store "$label" "$line"
  cpu_per_request "$label" "$cpu_before" "$cpu_after" "${R[$label.ok]}"
  R[$label.cmd]="bench/loadgen ${args[*]}"
}

# direct_run LABEL COMMAND...: one of bench/run's direct clients (bench/amqp_direct,
# bench/kafka_direct) with its key=value line in R[LABEL.*] and, per its "ok" count, the CPU
# of MEASURE_PIDS / MEASURE_EACH; the client's own is in R[LABEL.self_cpu_us]. Any failed
# request fails the run, as for loadgen.
direct_run() {
  local label=$1 line cpu_before cpu_after
  shift
  say "$label: ${*#"$PWD/"}"
  cpu_before=$(cpu_mark)
  line=$("$@" 2> "$WORK/$label.direct.log") || die "$label: $1 failed: $(tail -5 "$WORK/$label.direct.log") $line"
  cpu_after=$(cpu_mark)
  echo "$line" > "$WORK/$label.direct"
  store "$label" "$line"
  cpu_per_request "$label" "$cpu_before" "$cpu_after" "${R[$label.ok]}"
  R[$label.cmd]="${*#"$PWD/$BUILD_DIR/"}"
}

# ---- tables -------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", a - b }'; }
round() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
mib() { awk -v a="$1" 'BEGIN { printf "%.1f", a / 1048576 }'; }
# Latency cells "p50 | p99 | p99.9" of a label, in ms.
latency_cells() { printf '%s | %s | %s' "${R[$1.p50_ms]}" "${R[$1.p99_ms]}" "${R[$1.p999_ms]}"; }

# Which code was measured: the commit, and whether proxy/ differed from it. bench/run
# takes it once, when it builds (others may commit while it runs).
source_state() {
  git log -1 --format='commit %h (%cs)' | tr -d '\n'
  if ! git diff --quiet HEAD -- proxy || [ -n "$(git ls-files --others --exclude-standard proxy)" ]; then
    printf ' plus uncommitted changes in proxy/'
  fi
  [ "${SKIP_BUILD:-0}" != 1 ] || printf ' (SKIP_BUILD=1: binaries built before the run)'
}

# The header every scenario's section starts with: when, what code, how loaded the machine was.
section_header() {
  echo "## $1"
  echo
  echo "Measured from $SCENARIO_STARTED by \`bench/run $2\` on $SOURCE_STATE; load average when"
  echo "the scenario started (1, 5, 15 min): $SCENARIO_LOAD."
  echo
}
