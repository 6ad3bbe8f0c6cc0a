# Scenario 8: SOAP. REST -> SOAP (a JSON POST becomes a GetQuote envelope to a SOAP
# service) and SOAP -> REST (a SOAP client's envelope becomes a JSON POST to a REST
# service), beside the HTTP forward path to the same kind of backend, in one run. The
# backends are nginx answering a fixed envelope or JSON, so the cost shown is Causeway's.

scenario_soap() {
  local http=$((BENCH_PORT_BASE + 40)) soap_backend=$((BENCH_PORT_BASE + 41)) json_backend=$((BENCH_PORT_BASE + 42))
  local admin=$((BENCH_PORT_BASE + 43))
  check_ports "$http" "$soap_backend" "$json_backend" "$admin"
  local envelope='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetQuoteResponse xmlns="urn:example:quotes"><symbol>ACME</symbol><price currency="EUR">12.5</price><history>11</history><note>benchmark</note></GetQuoteResponse></soap:Body></soap:Envelope>'
  local quote='{"symbol":"ACME","price":{"@currency":"EUR","#text":12.5},"history":[11],"note":"benchmark"}'
  run_nginx soap-backends "
  server { listen 127.0.0.1:$soap_backend; keepalive_requests 1000000;
           location / { default_type 'text/xml; charset=utf-8'; return 200 '$envelope'; } }
  server { listen 127.0.0.1:$json_backend; keepalive_requests 1000000;
           location / { default_type application/json; return 200 '$quote'; } }" "$soap_backend" "$json_backend"
  local backend_pid=$LAST_PID

  cat > "$WORK/soap.yaml" <<YAML
admin: { listen: 127.0.0.1:$admin }
drain_timeout: 2s
soap: { files: ["$PWD/config/examples/quotes.wsdl"] }
listeners:
  bench: { protocol: http, listen: 127.0.0.1:$http }
upstreams:
  legacy: { url: "http://127.0.0.1:$soap_backend", max_connections: 128 }
  api: { url: "http://127.0.0.1:$json_backend", max_connections: 128 }
routes:
  - name: rest-to-soap
    from: { listener: bench, method: POST, path: /v1/quotes }
    to:   { upstream: legacy, soap: { service: QuoteService, operation: GetQuote } }
  - name: soap-to-rest
    from: { listener: bench, soap: { service: QuoteService, operation: GetQuote } }
    to:   { upstream: api, method: POST, path: /v1/quotes }
  - name: forward
    from: { listener: bench, path: "/forward/{rest=**}" }
    to:   { upstream: api }
YAML
  start_causeway soap "$WORK/soap.yaml" "$admin"
  local causeway_pid=$LAST_PID
  curl -sf -XPOST -H 'content-type: application/json' -d '{"symbol":"ACME","days":1}' \
    "http://127.0.0.1:$http/v1/quotes" | grep -q '"symbol":"ACME"' || die "soap: REST -> SOAP does not answer the quote"

  MEASURE_PIDS="$causeway_pid $backend_pid" MEASURE_EACH="proxy=$causeway_pid backend=$backend_pid"
  WRK_SCRIPT=bench/quote_post.lua wrk_run soap-forward "http://127.0.0.1:$http/forward/v1/quotes" "$CONNECTIONS" "$DURATION"
  WRK_SCRIPT=bench/quote_post.lua wrk_run rest-to-soap "http://127.0.0.1:$http/v1/quotes" "$CONNECTIONS" "$DURATION"
  WRK_SCRIPT=bench/soap_post.lua wrk_run soap-to-rest "http://127.0.0.1:$http/quotes" "$CONNECTIONS" "$DURATION"
  MEASURE_PIDS="" MEASURE_EACH=""
  local faults
  faults=$(metric "$admin" '^causeway_soap_faults_total')
  stop "$causeway_pid"
  stop "$backend_pid"

  soap_row() {
    echo "| $2 | $(round "${R[$1.rps]}") | $(latency_cells "$1") | $(ratio "${R[$1.rps]}" "${R[soap-forward.rps]}") | ${R[$1.cpu_us_proxy]} | ${R[$1.cpu_us_backend]} |"
  }
  {
    section_header "9. SOAP: REST -> SOAP and SOAP -> REST vs the forward path" soap
    echo "Closed loop: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 10s --latency -s SCRIPT URL\` after a"
    echo "2 s warm-up, one route after the other, all on one Causeway (\`config/examples/quotes.wsdl\`). The"
    echo "backends are nginx with \`return 200\`: a GetQuoteResponse envelope (SOAP) or its JSON (REST)."
    echo "bench/quote_post.lua posts \`{\"symbol\":\"ACME\",\"days\":1}\`, bench/soap_post.lua its SOAP 1.1 envelope."
    echo
    echo "| route | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs forward | Causeway CPU µs/req | backend CPU µs/req |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    soap_row soap-forward "forward: JSON POST passed on (the baseline)"
    soap_row rest-to-soap "REST -> SOAP: JSON to envelope, envelope to JSON"
    soap_row soap-to-rest "SOAP -> REST: envelope to JSON, JSON to envelope"
    echo
    echo "SOAP faults counted during the runs: ${faults:-0} (none expected)."
  } > "$RESULTS_DIR/soap.md"
}
