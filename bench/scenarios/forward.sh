# Scenario: forwarding (HTTP -> HTTP upstream). Causeway, nginx and HAProxy, each configured
# as a keep-alive reverse proxy, in front of the same nginx backend; wrk's closed loop
# against each and against the backend itself, back to back, at each of FORWARD_CONNECTIONS.

# start_nginx_proxy NAME PORT BACKEND_PORT: nginx as the reverse proxy users would
# configure: HTTP/1.1 upstream connections kept alive (proxy_http_version 1.1,
# Connection "", upstream keepalive).
start_nginx_proxy() {
  local name=$1 port=$2 backend=$3
  run_nginx "$name" "  upstream backend { server 127.0.0.1:$backend; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$port;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }" "$port"
}

# start_haproxy NAME PORT BACKEND_PORT: HAProxy as the issue asks for it: a thread per core,
# upstream connections kept alive and shared between clients (http-reuse always).
start_haproxy() {
  local name=$1 port=$2 backend=$3 i
  cat > "$WORK/$name.cfg" <<HAPROXY
global
  nbthread $(nproc)
  maxconn 4096  # two fds a connection: within the usual open-file limit
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
frontend bench
  bind 127.0.0.1:$port
  default_backend backend
backend backend
  server nginx 127.0.0.1:$backend
HAPROXY
  # -db: stay in the foreground, one process (its threads), so that its pid is the whole proxy.
  spawn "$name" /usr/sbin/haproxy -db -f "$WORK/$name.cfg"
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  die "haproxy '$name' does not answer on port $port: $(cat "$WORK/$name.log")"
}

# forward_row LABEL WHAT BASELINE: one table row; BASELINE is nginx's label of the same connection count.
forward_row() {
  local proxy_cpu=${R[$1.cpu_us_proxy]:-}
  echo "| ${R[$1.connections]} | $2 | $(round "${R[$1.rps]}") | $(latency_cells "$1") | $(ratio "${R[$1.rps]}" "${R[$3.rps]}") | $(minus "${R[$1.p99_ms]}" "${R[$3.p99_ms]}") | ${proxy_cpu:-–} | ${R[$1.cpu_us_backend]} | ${R[$1.cpu_us]} |"
}

scenario_forward() {
  local http=$((BENCH_PORT_BASE + 3)) backend=$((BENCH_PORT_BASE + 4)) proxy=$((BENCH_PORT_BASE + 5))
  local admin=$((BENCH_PORT_BASE + 6)) haproxy=$((BENCH_PORT_BASE + 7))
  local answer='{"id":"A1","status":"accepted","note":"benchmark backend"}'
  check_ports "$http" "$backend" "$proxy" "$admin" "$haproxy"

  start_nginx forward-backend "$backend 200 $answer"
  local backend_pid=$LAST_PID
  cat > "$WORK/forward.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http }
upstreams:
  backend: { url: "http://127.0.0.1:$backend", max_connections: $FORWARD_UPSTREAM_CONNECTIONS }
routes:
  - name: forward
    from: { listener: bench, path: "/{rest=**}" }
    to:   { upstream: backend }
YAML
  start_causeway forward "$WORK/forward.yaml" "$admin"
  local causeway_pid=$LAST_PID
  start_nginx_proxy forward-nginx "$proxy" "$backend"
  local proxy_pid=$LAST_PID
  start_haproxy forward-haproxy "$haproxy" "$backend"
  local haproxy_pid=$LAST_PID

  # Each proxy's CPU and the backend's apart (MEASURE_EACH), and their sum: every proxy pays
  # for the same backend, and one that sends it fewer, fuller reads would show there.
  local connections rows=()
  for connections in $FORWARD_CONNECTIONS; do
    MEASURE_PIDS="$causeway_pid $backend_pid" MEASURE_EACH="proxy=$causeway_pid backend=$backend_pid"
    wrk_run "forward-c$connections" "http://127.0.0.1:$http/orders/c42" "$connections" "$DURATION"
    MEASURE_PIDS="$proxy_pid $backend_pid" MEASURE_EACH="proxy=$proxy_pid backend=$backend_pid"
    wrk_run "forward-nginx-c$connections" "http://127.0.0.1:$proxy/orders/c42" "$connections" "$DURATION"
    MEASURE_PIDS="$haproxy_pid $backend_pid" MEASURE_EACH="proxy=$haproxy_pid backend=$backend_pid"
    wrk_run "forward-haproxy-c$connections" "http://127.0.0.1:$haproxy/orders/c42" "$connections" "$DURATION"
    MEASURE_PIDS="$backend_pid" MEASURE_EACH="backend=$backend_pid"
    wrk_run "forward-backend-c$connections" "http://127.0.0.1:$backend/orders/c42" "$connections" "$DURATION"
    local label
    for label in forward forward-nginx forward-haproxy forward-backend; do R["$label-c$connections.connections"]=$connections; done
    rows+=("$(forward_row "forward-c$connections" "Causeway forward -> backend" "forward-nginx-c$connections")"
           "$(forward_row "forward-nginx-c$connections" "nginx proxy -> backend" "forward-nginx-c$connections")"
           "$(forward_row "forward-haproxy-c$connections" "HAProxy -> backend" "forward-nginx-c$connections")"
           "$(forward_row "forward-backend-c$connections" "backend alone (no proxy)" "forward-nginx-c$connections")")
  done
  MEASURE_PIDS="" MEASURE_EACH=""
  local upstream_connects
  upstream_connects=$(metric "$admin" '^causeway_upstream_connects_total')
  stop "$causeway_pid"
  stop "$proxy_pid"
  stop "$haproxy_pid"
  stop "$backend_pid"

  {
    section_header "6. Forward: Causeway vs nginx and HAProxy as keep-alive reverse proxies" forward
    echo "Closed loop: \`wrk -t$THREADS -cN -d$DURATION --timeout 10s --latency -s bench/post.lua URL\`"
    echo "(POST, 44-byte JSON body) after a 2 s warm-up, one after the other, for N in $FORWARD_CONNECTIONS. The backend is nginx"
    echo "answering \`return 200\` with a 56-byte body ($NGINX_WORKERS workers); the nginx proxy has $NGINX_WORKERS workers,"
    echo "\`proxy_http_version 1.1\`, \`proxy_set_header Connection \"\"\` and \`upstream { keepalive 128; }\`; HAProxy"
    echo "$(/usr/sbin/haproxy -v | awk 'NR == 1 { print $3 }') (Debian) has \`nbthread $(nproc)\`, \`http-reuse always\` and \`option http-keep-alive\`;"
    echo "Causeway forwards \`/{rest=**}\` to an upstream with \`max_connections: $FORWARD_UPSTREAM_CONNECTIONS\`. Everything shares $(nproc) cores."
    echo
    echo "| connections | what answers | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs nginx | p99 − nginx's (ms) | proxy CPU µs/req | backend CPU µs/req | proxy + backend |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "CPU µs/req: user + system time of that process (nginx: master and workers; HAProxy: its one"
    echo "process) during the measured run, per answer. Connections Causeway opened to the backend over"
    echo "all its runs (pooled and kept alive): $upstream_connects."
  } > "$RESULTS_DIR/forward.md"
}
