# Scenario: gRPC transcoding against the plain HTTP forward path, in one Causeway:
#   forward        REST client (wrk GET) -> Causeway forward -> HTTP backend (nginx, JSON)
#   grpc-to-http   gRPC client (bench/grpc_bench) -> Causeway, protobuf -> JSON -> the same backend
#   rest-to-grpc   REST client (wrk GET) -> Causeway, JSON -> protobuf -> gRPC backend (grpc_bench serve)
#   grpc-forward   gRPC client -> Causeway -> the gRPC backend, bytes as they are
# and each client against its backend directly, for what the clients and backends cost alone.

scenario_grpc() {
  local http=$((BENCH_PORT_BASE + 14)) rpc=$((BENCH_PORT_BASE + 15)) admin=$((BENCH_PORT_BASE + 16))
  local json_backend=$((BENCH_PORT_BASE + 17)) grpc_backend=$((BENCH_PORT_BASE + 18))
  # inventory.v1.Item {sku: "A1", name: "Widget", quantity: 3}, as JSON and as protobuf bytes;
  # inventory.v1.GetItemRequest {sku: "A1"}.
  local item_json='{"sku":"A1","name":"Widget","quantity":3}'
  local item_hex=0a02413112065769646765741803 request_hex=0a024131
  check_ports "$http" "$rpc" "$admin" "$json_backend" "$grpc_backend"

  start_nginx grpc-json-backend "$json_backend 200 $item_json"
  local json_pid=$LAST_PID
  spawn grpc-backend "$GRPC_BENCH" serve "$grpc_backend" "$item_hex"
  local grpc_pid=$LAST_PID
  cat > "$WORK/grpc.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http }
  rpc:   { protocol: grpc, listen: 127.0.0.1:$rpc }
protos:
  files: [$PWD/tests/proto/inventory.proto]
  include: [$PWD/tests/proto]
upstreams:
  json-backend: { url: "http://127.0.0.1:$json_backend", max_connections: 128 }
  grpc-backend: { type: grpc, address: "127.0.0.1:$grpc_backend" }
routes:
  - name: forward
    from: { listener: bench, method: GET, path: "/forward/{rest=**}" }
    to:   { upstream: json-backend, path: "/{rest}" }
  - name: rest-to-grpc
    from: { listener: bench, method: GET, path: "/v1/items/{sku}" }
    to:   { upstream: grpc-backend, rpc: inventory.v1.Inventory/GetItem }
  - name: grpc-to-http
    from: { listener: rpc, rpc: inventory.v1.Inventory/GetItem }
    to:   { upstream: json-backend, path: /items/lookup }
  - name: grpc-forward
    from: { listener: rpc, rpc: inventory.v1.Inventory/ListItems }
    to:   { upstream: grpc-backend }
YAML
  start_causeway grpc "$WORK/grpc.yaml" "$admin"
  local causeway_pid=$LAST_PID

  WRK_SCRIPT=bench/get.lua
  MEASURE_PIDS="$causeway_pid"
  wrk_run forward "http://127.0.0.1:$http/forward/items/A1" "$CONNECTIONS" "$DURATION"
  wrk_run rest-to-grpc "http://127.0.0.1:$http/v1/items/A1" "$CONNECTIONS" "$DURATION"
  grpc_run grpc-to-http "127.0.0.1:$rpc" /inventory.v1.Inventory/GetItem "$request_hex"
  grpc_run grpc-forward "127.0.0.1:$rpc" /inventory.v1.Inventory/ListItems ""
  MEASURE_PIDS="$json_pid"
  wrk_run json-direct "http://127.0.0.1:$json_backend/items/A1" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS="$grpc_pid"
  grpc_run grpc-direct "127.0.0.1:$grpc_backend" /inventory.v1.Inventory/GetItem "$request_hex"
  MEASURE_PIDS=""
  WRK_SCRIPT=bench/post.lua
  local transcode_errors
  transcode_errors=$(metric "$admin" '^causeway_transcode_errors_total')
  stop "$causeway_pid"
  stop "$grpc_pid"
  stop "$json_pid"

  {
    section_header "7. gRPC transcoding vs the HTTP forward path" grpc
    echo "Closed loops of $CONNECTIONS requests in flight for $DURATION after a 2 s warm-up, one after the other:"
    echo "REST rows \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 10s --latency -s bench/get.lua URL\`,"
    echo "gRPC rows \`bench/grpc_bench load ADDRESS METHOD HEX --calls $CONNECTIONS --duration ${DURATION%s}\` (grpc++'s"
    echo "generic stub on one HTTP/2 channel, $CONNECTIONS calls in flight). The HTTP backend is nginx returning"
    echo "an \`inventory.v1.Item\` as JSON; the gRPC backend is \`bench/grpc_bench serve\` returning it as protobuf."
    echo "Messages: \`tests/proto/inventory.proto\`. CPU µs/req is Causeway's alone (the backend's for direct rows)."
    echo
    echo "| route | path of a request | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs forward | CPU µs/req |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    echo "| forward | REST -> Causeway -> HTTP backend | $(round "${R[forward.rps]}") | $(latency_cells forward) | 1.00 | ${R[forward.cpu_us]} |"
    echo "| grpc-to-http | gRPC -> Causeway (protobuf -> JSON -> protobuf) -> HTTP backend | $(round "${R[grpc-to-http.rps]}") | $(latency_cells grpc-to-http) | $(ratio "${R[grpc-to-http.rps]}" "${R[forward.rps]}") | ${R[grpc-to-http.cpu_us]} |"
    echo "| rest-to-grpc | REST -> Causeway (JSON -> protobuf -> JSON) -> gRPC backend | $(round "${R[rest-to-grpc.rps]}") | $(latency_cells rest-to-grpc) | $(ratio "${R[rest-to-grpc.rps]}" "${R[forward.rps]}") | ${R[rest-to-grpc.cpu_us]} |"
    echo "| grpc-forward | gRPC -> Causeway -> gRPC backend | $(round "${R[grpc-forward.rps]}") | $(latency_cells grpc-forward) | $(ratio "${R[grpc-forward.rps]}" "${R[forward.rps]}") | ${R[grpc-forward.cpu_us]} |"
    echo "| json-direct | REST -> HTTP backend, no Causeway | $(round "${R[json-direct.rps]}") | $(latency_cells json-direct) | $(ratio "${R[json-direct.rps]}" "${R[forward.rps]}") | ${R[json-direct.cpu_us]} |"
    echo "| grpc-direct | gRPC -> gRPC backend, no Causeway | $(round "${R[grpc-direct.rps]}") | $(latency_cells grpc-direct) | $(ratio "${R[grpc-direct.rps]}" "${R[forward.rps]}") | ${R[grpc-direct.cpu_us]} |"
    echo
    echo "Transcoding errors counted during the runs (expected 0): $transcode_errors."
  } > "$RESULTS_DIR/grpc.md"
}
