#!/usr/bin/env bash
# Pull benchmark: HuggingFacePuller (verification on, -Xmx64m) against curl -o + sha256sum of the
# same file from the same local nginx, in the same run. Big files live in $WORK (default /tmp),
# never in git, and are deleted at the end. Usage: bench/pull-bench.sh [SIZE_MIB] [THROTTLED_MIB]
# Environment: ROUNDS (loopback rounds, default 3; 0 skips), RATE (nginx limit_rate, default 8m),
# TPART (part size of the throttled runs, default 16 MiB), WORK, PORT, CONFIGS (loopback
# "parts partSize [syncEveryBytes]" entries, comma-separated, default "1 67108864,4 67108864,8 33554432"), HASH (the
# peer's verifier: sha256sum (default) or "openssl sha256"), JAVA_OPTS (the pull JVM's flags, default
# "-Xmx64m -XX:MaxDirectMemorySize=64m"; JAVA_OPTS= runs it as users do, without tuning flags), RUNS (pulls
# per JVM on loopback, the last one reported; default 2 = warm JIT, 1 = a cold JVM as a user's first pull).
# THROTTLED_MIB=0 skips the throttled runs. Ends with the best and median ratio of each loopback config.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
THROTTLED_MIB=${2:-64}
RATE=${RATE:-8m}
WORK=${WORK:-/tmp/shimmy-pull-bench}
PORT=${PORT:-18481}
TPORT=$((PORT + 1))
rm -rf "$WORK"; mkdir -p "$WORK/www/cdn" "$WORK/models" "$WORK/logs"
NGINX_PID=""
cleanup() {
  if [[ -f "$WORK/nginx.pid" ]]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Offline first (everything is in ~/.m2 once a build ran); online only if that fails.
BUILD=(-B -q -pl shimmy-testkit,shimmy-core -am -DskipTests test-compile dependency:build-classpath
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test)
./mvnw -o "${BUILD[@]}" >/dev/null 2>&1 || ./mvnw "${BUILD[@]}" >/dev/null
# Copies of the classes, so a rebuild in the work tree cannot change them under a running benchmark.
mkdir -p "$WORK/classes"
cp -r shimmy-core/target/test-classes "$WORK/classes/core-test"
cp -r shimmy-core/target/classes "$WORK/classes/core"
cp -r shimmy-testkit/target/classes "$WORK/classes/testkit"
CP="$WORK/classes/core-test:$WORK/classes/core:$WORK/classes/testkit:$(cat shimmy-core/target/bench-classpath.txt)"
JAVA="java ${JAVA_OPTS-"-Xmx64m -XX:MaxDirectMemorySize=64m"} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp $CP"

SIZE=$((SIZE_MIB * 1024 * 1024)); TSIZE=$((THROTTLED_MIB * 1024 * 1024))
SHA=$($JAVA io.github.shimmypull.core.pull.PullBench generate "$WORK/www/big.gguf" "$SIZE" 7)
TSHA=$($JAVA io.github.shimmypull.core.pull.PullBench generate "$WORK/www/small.gguf" "$((TSIZE > 0 ? TSIZE : 1024))" 8)
ln -s ../big.gguf "$WORK/www/cdn/$SHA"; ln -s ../small.gguf "$WORK/www/cdn/$TSHA"

cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$PORT; root $WORK/www; }
  server { listen 127.0.0.1:$TPORT; root $WORK/www; limit_rate $RATE; }
}
CONF
nginx -p "$WORK" -c "$WORK/nginx.conf"

peer() { # url -> "total curl sha256sum" seconds for curl -o + sha256sum
  local t0 t1 t2
  t0=$(date +%s.%N)
  curl -sf -o "$WORK/models/peer.gguf" "$1"
  t1=$(date +%s.%N)
  ${HASH:-sha256sum} "$WORK/models/peer.gguf" >/dev/null
  t2=$(date +%s.%N)
  rm -f "$WORK/models/peer.gguf"
  echo "$(echo "$t2 - $t0" | bc -l) $(echo "$t1 - $t0" | bc -l) $(echo "$t2 - $t1" | bc -l)"
}
pull() { # base size seed parts partSize sha [runs [syncEvery]] -> seconds of the last run in one JVM (default 2: warm JIT)
  $JAVA io.github.shimmypull.core.pull.PullBench pull "$1" "$2" "$3" "$4" "$5" "$WORK/models" "${7:-2}" "$6" ${8:+"$8"} | tail -1 |
    sed -E 's/.*seconds=([0-9.]+).*peakHeapMiB=([0-9.]+).*body=([0-9.]+)s after-body=([0-9.]+)s.*/\1 \2 \3 \4/'
}
echo "# loopback, ${SIZE_MIB} MiB, verification on, JVM flags: ${JAVA_OPTS-"-Xmx64m -XX:MaxDirectMemorySize=64m"}, pulls per JVM: ${RUNS:-2}, work dir $WORK on $(df --output=fstype "$WORK" | tail -1)"
declare -A RATIOS=()
for run in $(seq 1 "${ROUNDS:-3}"); do
  sync; read -r p pc ps < <(peer "http://127.0.0.1:$PORT/big.gguf")
  IFS=, read -r -a cfgs <<< "${CONFIGS:-1 67108864,4 67108864,8 33554432}"
  for cfg in "${cfgs[@]}"; do
    set -- $cfg
    read -r secs heap body after < <(pull "http://127.0.0.1:$PORT/" "$SIZE" 7 "$1" "$2" "$SHA" "${RUNS:-2}" "${3:-}")
    RATIOS[$cfg]="${RATIOS[$cfg]:-} $(echo "$secs / $p" | bc -l)"
    printf 'round %d parts=%s partSize=%s syncEvery=%s pull=%.2fs peer=%.2fs (curl %.2fs + hash %.2fs) ratio=%.2f ratio-vs-curl-alone=%.2f peakHeap=%sMiB (body %ss, after it %ss) load=%s\n' \
      "$run" "$1" "$2" "${3:-default}" "$secs" "$p" "$pc" "$ps" "$(echo "$secs / $p" | bc -l)" "$(echo "$secs / $pc" | bc -l)" "$heap" "$body" "$after" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
for cfg in "${!RATIOS[@]}"; do
  sorted=($(tr ' ' '\n' <<< "${RATIOS[$cfg]}" | grep . | sort -g))
  printf 'summary parts/partSize/syncEvery=[%s] rounds=%d ratio best=%.2f median=%.2f worst=%.2f (pull / curl + %s)\n' "$cfg" "${#sorted[@]}" \
    "${sorted[0]}" "${sorted[$(( ${#sorted[@]} / 2 ))]}" "${sorted[-1]}" "${HASH:-sha256sum}"
done
if [[ "$THROTTLED_MIB" == 0 ]]; then exit 0; fi
TPART=${TPART:-16777216}
echo "# nginx limit_rate $RATE per connection, ${THROTTLED_MIB} MiB, parts of $TPART bytes, one run per JVM"
read -r p pc ps < <(peer "http://127.0.0.1:$TPORT/small.gguf")
printf 'peer curl+sha256sum %.2fs (curl %.2fs)\n' "$p" "$pc"
single=""
for n in 1 2 4 8; do
  read -r secs heap _ < <(pull "http://127.0.0.1:$TPORT/" "$TSIZE" 8 "$n" "$TPART" "$TSHA" 1)
  if [[ -z "$single" ]]; then single=$secs; fi
  printf 'parts=%d pull=%.2fs speedup=%.2f (target >= %.1f) peakHeap=%sMiB load=%s\n' \
    "$n" "$secs" "$(echo "$single / $secs" | bc -l)" "$(echo "0.8 * $n" | bc -l)" "$heap" "$(cut -d' ' -f1 /proc/loadavg)"
done
