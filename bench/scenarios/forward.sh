# Scenario: forwarding (HTTP -> HTTP upstream). Causeway and nginx, configured as a
# keep-alive reverse proxy, in front of the same nginx backend; wrk's closed loop
# against each and against the backend itself, back to back.

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

scenario_forward() {
  local http=$((BENCH_PORT_BASE + 3)) backend=$((BENCH_PORT_BASE + 4)) proxy=$((BENCH_PORT_BASE + 5))
  local admin=$((BENCH_PORT_BASE + 6))
  local answer='{"id":"A1","status":"accepted","note":"benchmark backend"}'
  check_ports "$http" "$backend" "$proxy" "$admin"

  start_nginx forward-backend "$backend 200 $answer"
  local backend_pid=$LAST_PID
  cat > "$WORK/forward.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http }
upstreams:
  backend: { url: "http://127.0.0.1:$backend", max_connections: 128 }
routes:
  - name: forward
    from: { listener: bench, path: "/{rest=**}" }
    to:   { upstream: backend }
YAML
  start_causeway forward "$WORK/forward.yaml" "$admin"
  local causeway_pid=$LAST_PID
  start_nginx_proxy forward-nginx "$proxy" "$backend"
  local proxy_pid=$LAST_PID

  # The proxies are measured with the backend's CPU included: both pay for the same backend.
  MEASURE_PIDS="$causeway_pid $backend_pid"
  wrk_run forward "http://127.0.0.1:$http/orders/c42" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS="$proxy_pid $backend_pid"
  wrk_run forward-nginx "http://127.0.0.1:$proxy/orders/c42" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS="$backend_pid"
  wrk_run forward-backend "http://127.0.0.1:$backend/orders/c42" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS=""
  local upstream_connects
  upstream_connects=$(metric "$admin" '^causeway_upstream_connects_total')
  stop "$causeway_pid"
  stop "$proxy_pid"
  stop "$backend_pid"

  {
    section_header "6. Forward: Causeway vs nginx as a keep-alive reverse proxy" forward
    echo "Closed loop: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 10s --latency -s bench/post.lua URL\`"
    echo "(POST, 44-byte JSON body) after a 2 s warm-up, one after the other. The backend is nginx answering"
    echo "\`return 200\` with a 56-byte body ($NGINX_WORKERS workers); the nginx proxy has $NGINX_WORKERS workers,"
    echo "\`proxy_http_version 1.1\`, \`proxy_set_header Connection \"\"\` and \`upstream { keepalive 128; }\`;"
    echo "Causeway forwards \`/{rest=**}\` to an upstream with \`max_connections: 128\`. Everything shares 2 cores."
    echo
    echo "| what answers | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs nginx | p99 − nginx's (ms) | CPU µs/req (proxy + backend) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    echo "| Causeway forward -> backend | $(round "${R[forward.rps]}") | $(latency_cells forward) | $(ratio "${R[forward.rps]}" "${R[forward-nginx.rps]}") | $(minus "${R[forward.p99_ms]}" "${R[forward-nginx.p99_ms]}") | ${R[forward.cpu_us]} |"
    echo "| nginx proxy -> backend | $(round "${R[forward-nginx.rps]}") | $(latency_cells forward-nginx) | 1.00 | +0.00 | ${R[forward-nginx.cpu_us]} |"
    echo "| backend alone (no proxy) | $(round "${R[forward-backend.rps]}") | $(latency_cells forward-backend) | $(ratio "${R[forward-backend.rps]}" "${R[forward-nginx.rps]}") | $(minus "${R[forward-backend.p99_ms]}" "${R[forward-nginx.p99_ms]}") | ${R[forward-backend.cpu_us]} (backend only) |"
    echo
    echo "Connections Causeway opened to the backend over all its runs (pooled and kept alive): $upstream_connects."
  } > "$RESULTS_DIR/forward.md"
}
