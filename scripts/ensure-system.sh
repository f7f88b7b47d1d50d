#!/usr/bin/env bash
# Install the Debian packages the tests (or the bench) need, when missing. Runs as root here;
# anywhere else it says what to install and fails.
#   scripts/ensure-system.sh            # memcached, redis-server, chromium, python3-django, python3-pymemcache
#   scripts/ensure-system.sh bench      # the same, plus gunicorn and pylibmc for the Django comparisons,
#                                       # valgrind (instruction counts in the http suite) and wrk (the pages suite's load)
set -euo pipefail

need=()
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ] || need+=(chromium)
/usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
/usr/bin/python3 -c 'import pymemcache' >/dev/null 2>&1 || need+=(python3-pymemcache)
if [ "${1:-}" = bench ]; then
  /usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || need+=(python3-gunicorn)
  /usr/bin/python3 -c 'import pylibmc' >/dev/null 2>&1 || need+=(python3-pylibmc)
  command -v callgrind_control >/dev/null 2>&1 || need+=(valgrind)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${need[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "error: these Debian packages are missing and this is not root: ${need[*]}" >&2
  echo "       install them with: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}"; } >/tmp/cachework-apt.log 2>&1; then
  tail -20 /tmp/cachework-apt.log >&2
  echo "error: apt-get could not install ${need[*]} (log: /tmp/cachework-apt.log)" >&2
  exit 1
fi
echo "Installed: ${need[*]}"
