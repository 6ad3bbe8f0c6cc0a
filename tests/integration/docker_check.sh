#!/usr/bin/env bash
# What can be checked of docker/ without a Docker engine: the image's config is valid, and
# its runtime stage installs the Debian package of every shared library the binary links.
#   docker_check.sh CAUSEWAY_BIN SOURCE_DIR
set -euo pipefail
causeway=$1
source=$2
"$causeway" validate "$source/docker/causeway.yaml"
KAFKA_BOOTSTRAP=kafka:9092 "$causeway" validate "$source/docker/causeway.yaml"

missing=()
while read -r library; do
  package=$(dpkg -S "$(readlink -f "$library")" 2> /dev/null || dpkg -S "$library" 2> /dev/null || true)
  package=${package%%:*}
  [ -n "$package" ] || { echo "docker_check: no Debian package holds $library"; exit 1; }
  case "$package" in libc6 | libgcc-s1 | libstdc++6) continue ;; esac  # in every Debian image
  grep -qw -- "$package" "$source/docker/Dockerfile" || missing+=("$package")
done < <(ldd "$causeway" | awk '$3 ~ /^\// { print $3 }')
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker_check: docker/Dockerfile's runtime stage lacks ${missing[*]}"
  exit 1
fi
echo "docker_check: ok"
