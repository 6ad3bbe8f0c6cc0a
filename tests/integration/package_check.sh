#!/usr/bin/env bash
# scripts/package builds a .deb that holds what it should and that lintian accepts.
# Usage: package_check.sh SOURCE_DIR CAUSEWAY_BINARY
set -euo pipefail
source_dir="$1"
binary="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "package_check: $*" >&2; exit 1; }

deb="$(CAUSEWAY_BINARY="$binary" "$source_dir/scripts/package" "$work")"
[ -f "$deb" ] || fail "scripts/package printed '$deb', which is not a file"

contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/causeway ./etc/causeway/causeway.yaml ./lib/systemd/system/causeway.service \
            ./usr/share/man/man1/causeway.1.gz ./usr/share/bash-completion/completions/causeway \
            ./usr/share/doc/causeway/copyright; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package: $contents"
done
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/causeway$' <<<"$contents" || fail "usr/bin/causeway is not root's 0755"

dpkg-deb -f "$deb" Depends | grep -q 'librdkafka1' || fail "Depends lacks librdkafka1: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/causeway/causeway.yaml || fail "the config is not a conffile"

dpkg-deb -x "$deb" "$work/root"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$work/root/lib/systemd/system/causeway.service" || fail "no ExecReload with SIGHUP"
"$work/root/usr/bin/causeway" validate "$work/root/etc/causeway/causeway.yaml" >/dev/null || fail "the packaged config does not validate"
"$work/root/usr/bin/causeway" help >/dev/null || fail "the packaged binary does not answer help"
# The completion defines its function and registers it.
bash -c "source '$work/root/usr/share/bash-completion/completions/causeway' && complete -p causeway" | grep -q _causeway ||
  fail "the bash completion does not register"
# The man page renders without warnings.
if command -v groff >/dev/null; then
  warnings="$(zcat "$work/root/usr/share/man/man1/causeway.1.gz" | groff -man -Tutf8 -ww -z 2>&1)"
  [ -z "$warnings" ] || fail "causeway(1): $warnings"
fi

if command -v lintian >/dev/null; then
  lintian --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges' || true
  lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || fail "lintian reports errors or warnings"
else
  echo "package_check: lintian is not installed (scripts/test installs it); skipped that part"
fi
echo "package_check: ok ($deb)"
