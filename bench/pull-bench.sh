#!/usr/bin/env bash
# Pull benchmark: HuggingFacePuller (verification on, -Xmx64m) against curl -o + sha256sum of the
# same file from the same local nginx, in the same run. Big files live in $WORK (default /tmp),
# never in git, and are deleted at the end. Usage: bench/pull-bench.sh [SIZE_MIB] [THROTTLED_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
THROTTLED_MIB=${2:-256}
RATE=${RATE:-25m}
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

./mvnw -B -q -pl shimmy-testkit,shimmy-core -am -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="shimmy-core/target/test-classes:shimmy-core/target/classes:shimmy-testkit/target/classes:$(cat shimmy-core/target/bench-classpath.txt)"
JAVA="java -Xmx64m -XX:MaxDirectMemorySize=64m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp $CP"

SIZE=$((SIZE_MIB * 1024 * 1024)); TSIZE=$((THROTTLED_MIB * 1024 * 1024))
SHA=$($JAVA io.github.shimmypull.core.pull.PullBench generate "$WORK/www/big.gguf" "$SIZE" 7)
TSHA=$($JAVA io.github.shimmypull.core.pull.PullBench generate "$WORK/www/small.gguf" "$TSIZE" 8)
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

peer() { # url file -> seconds for curl -o + sha256sum
  local t0 t1
  t0=$(date +%s.%N)
  curl -sf -o "$WORK/models/peer.gguf" "$1"
  sha256sum "$WORK/models/peer.gguf" >/dev/null
  t1=$(date +%s.%N)
  rm -f "$WORK/models/peer.gguf"
  echo "$t1 - $t0" | bc -l
}
echo "# loopback, ${SIZE_MIB} MiB, verification on"
for run in 1 2 3; do
  sync; echo "peer curl+sha256sum seconds=$(peer "http://127.0.0.1:$PORT/big.gguf")"
  for cfg in "1 67108864" "4 67108864" "8 67108864" "4 16777216"; do
    set -- $cfg
    $JAVA io.github.shimmypull.core.pull.PullBench pull "http://127.0.0.1:$PORT/" "$SIZE" 7 "$1" "$2" "$WORK/models" 1
  done
done
echo "# nginx limit_rate $RATE per connection, ${THROTTLED_MIB} MiB"
echo "peer curl+sha256sum seconds=$(peer "http://127.0.0.1:$TPORT/small.gguf")"
for cfg in "1 16777216" "2 16777216" "4 16777216" "8 16777216"; do
  set -- $cfg
  $JAVA io.github.shimmypull.core.pull.PullBench pull "http://127.0.0.1:$TPORT/" "$TSIZE" 8 "$1" "$2" "$WORK/models" 1
done
