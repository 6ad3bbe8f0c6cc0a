#!/usr/bin/env bash
# The README walkthrough, as a user does it: the default config, curl, kcat, /metrics,
# then SIGTERM. Usage: smoke.sh CAUSEWAY_BINARY SOURCE_DIR
set -euo pipefail

causeway=${1:?usage: smoke.sh CAUSEWAY_BINARY SOURCE_DIR}
source_dir=${2:?usage: smoke.sh CAUSEWAY_BINARY SOURCE_DIR}
for tool in curl kcat; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed for the walkthrough"; exit 1; }
done

work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- causeway log ---"
  cat "$work/log" 2>/dev/null || true
  exit 1
}
check() { echo "ok: $*"; }

# The shipped config, with every listen address on a port the kernel picks.
# (and the embedded broker on a port of the mock's choosing: 9092 may be taken meanwhile).
sed -E -e 's/listen: *[^ },]+/listen: 127.0.0.1:0/' -e '/^ *embedded: /d' "$source_dir/config/causeway.yaml" >"$work/causeway.yaml"
"$causeway" --config "$work/causeway.yaml" >"$work/log" 2>&1 &
pid=$!

for _ in $(seq 200); do
  grep -q ' info ready$' "$work/log" && break
  kill -0 "$pid" 2>/dev/null || fail "causeway exited before it was ready"
  sleep 0.1
done
grep -q ' info ready$' "$work/log" || fail "causeway was not ready within 20 s"
public=$(sed -n "s/.*listener 'public' (http) listening on \([^ ]*\).*/\1/p" "$work/log")
admin=$(sed -n 's/.* admin listening on \([^ ]*\).*/\1/p' "$work/log")
broker=$(sed -n 's/.*embedded Kafka broker listening on \([^ ]*\).*/\1/p' "$work/log")
[[ -n $public && -n $admin && -n $broker ]] || fail "addresses missing from the log"
check "started: listener $public, admin $admin, embedded broker $broker"

response=$(curl -sS --max-time 10 -XPOST "http://$public/orders/c42/events" \
  -H 'content-type: application/json' -d '{"sku":"A1"}' -w '\n%{http_code}')
status=$(tail -n1 <<<"$response")
body=$(head -n -1 <<<"$response")
[[ $status == 202 ]] || fail "POST /orders/c42/events answered $status: $body"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$body")
[[ -n $id && $body == *'"topic":"orders.created"'* ]] || fail "202 body is not {id, topic, ...}: $body"
check "POST /orders/c42/events -> 202 $body"

messages=$(timeout 20 kcat -b "$broker" -t orders.created -C -e -q -f '%k|%h|%s\n') || fail "kcat could not read orders.created"
line=$(grep -F 'c42|' <<<"$messages" | grep -F "correlation-id=$id") ||
  fail "no message with key c42 and correlation-id $id: $messages"
[[ $line == *'|{"sku":"A1"}' ]] || fail "the body is not the message value: $line"
check "kcat: orders.created has key c42, correlation-id $id, value {\"sku\":\"A1\"}"

metrics=$(curl -sS --max-time 10 "http://$admin/metrics")
grep -q '^causeway_requests_total{route="order-created",code="202"} 1$' <<<"$metrics" ||
  fail "/metrics does not count the request: $(grep causeway_requests_total <<<"$metrics")"
check '/metrics: causeway_requests_total{route="order-created",code="202"} 1'

kill -TERM "$pid"
for _ in $(seq 200); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "causeway still running 20 s after SIGTERM"
code=0
wait "$pid" || code=$?
pid=
[[ $code == 0 ]] || fail "causeway exited with $code after SIGTERM"
check "SIGTERM -> exit 0"
echo "PASS: README walkthrough"
