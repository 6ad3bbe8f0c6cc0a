#!/usr/bin/env bash
# The rule behind the layout, checked: the flows and the core (bridge/, policy/) include
# no wire library's header, and their libraries link none (cw_bridge, cw_policy).
set -euo pipefail
source_dir="$1"
forbidden='#include *[<"](boost/asio|boost/beast|librdkafka|amqp|rabbitmq-c|grpc|grpcpp|google/protobuf|libxml|http/|kafka/|rabbitmq/|grpc/|soap/|server/|admin/)'
if grep -rnE "$forbidden" "$source_dir/proxy/bridge" "$source_dir/proxy/policy"; then
  echo "FAIL: a flow or core file includes a wire library or an adapter (above)"
  exit 1
fi
# A binary that links the flows alone needs no wire library at run time.
binary="$2"
"$binary"
needed=$(readelf -d "$binary" | grep NEEDED)
if echo "$needed" | grep -qE 'rdkafka|rabbitmq|grpc|protobuf|xml2|libssl|libcrypto'; then
  echo "FAIL: the flows need a wire library:"
  echo "$needed"
  exit 1
fi
echo "bridge/ and policy/ include no wire library and need none:"
echo "$needed"
