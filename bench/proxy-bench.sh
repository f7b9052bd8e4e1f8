#!/usr/bin/env bash
# Proxy benchmark: the same wrk load against (1) the backend directly, (2) nginx proxy_pass with a
# keepalive upstream, (3) our Javalin + ShimmyProxy front, (4) the same Javalin front answering by
# itself without proxying (the ceiling of the front server), all on 127.0.0.1, in one run.
# The backend is an nginx stand-in for Shimmy answering a small static GET /v1/models JSON.
# Needs: nginx, wrk (apt-get install -y nginx wrk), a JDK 17+. Every load run is bounded in time.
# Usage: bench/proxy-bench.sh [DURATION_S] [CONNECTIONS]   (defaults 10 32; env JAVA_OPTS, FRONT_THREADS, WARMUP_S)
set -euo pipefail

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
FRONT_THREADS="${FRONT_THREADS:-64}"
WARMUP="${WARMUP_S:-60}"
JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseParallelGC}"
BACKEND_PORT=18181
NGINX_PROXY_PORT=18182
OUR_PORT=18183
STATIC_PORT=18184
WORK="$(mktemp -d /tmp/shimmy-proxy-bench.XXXXXX)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PIDS=()

LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
for tool in nginx wrk java curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx wrk)" >&2; exit 2; }
done

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building the bench front (shimmy-server-javalin test classes)..." >&2
(cd "$ROOT" && ./mvnw -B -q -pl shimmy-server-javalin -am -DskipTests test-compile \
  dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test)
CP="$ROOT/shimmy-server-javalin/target/test-classes:$ROOT/shimmy-server-javalin/target/classes:$(cat "$ROOT/shimmy-server-javalin/target/bench.classpath")"

cat >"$WORK/backend.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$BACKEND_PORT;
    location = /v1/models {
      default_type application/json;
      return 200 '{"object":"list","data":[{"id":"bench-model","object":"model","owned_by":"shimmy"}]}';
    }
  }
}
NGINX

cat >"$WORK/proxy.conf" <<NGINX
worker_processes auto;
daemon off;
pid $WORK/proxy.pid;
error_log $WORK/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream shimmy { server 127.0.0.1:$BACKEND_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PROXY_PORT;
    location / {
      proxy_pass http://shimmy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX

nginx -p "$WORK" -c "$WORK/backend.conf" & BACKEND_PID=$!; PIDS+=($!)
nginx -p "$WORK" -c "$WORK/proxy.conf" & NGINX_PID=$!; PIDS+=($!)
for front in "proxy $OUR_PORT" "static $STATIC_PORT"; do
  read -r mode port <<<"$front"
  # shellcheck disable=SC2086
  java $JAVA_OPTS -cp "$CP" io.github.shimmypull.server.javalin.bench.ProxyBenchMain \
    "$port" "http://127.0.0.1:$BACKEND_PORT" "$mode" "$FRONT_THREADS" >"$WORK/front-$mode.log" 2>&1 & PIDS+=($!)
  declare "FRONT_PID_$mode=$!"
done

wait_for() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/v1/models" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing answers on port $1" >&2; cat "$WORK"/*.log >&2; exit 1
}
wait_for "$BACKEND_PORT"; wait_for "$NGINX_PROXY_PORT"; wait_for "$OUR_PORT"; wait_for "$STATIC_PORT"

cpu_ticks() { # pid... -> user+system clock ticks of these processes and their direct children
  local total=0 p
  for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

run() { # name port pid... -> "rps p50_ms p99_ms cpu_us_per_request"
  local name=$1 port=$2 out c0 c1
  shift 2
  c0="$(cpu_ticks "$@")"
  out="$(timeout $((DURATION + 20)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/v1/models")"
  c1="$(cpu_ticks "$@")"
  echo "$out" >"$WORK/wrk-$name.txt"
  local rps p50 p99 n
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  n="$(awk '/requests in/ {print $1}' <<<"$out")"
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $(awk -v c=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", c / t * 1e6 / n }')"
}
to_ms() { # wrk prints 431.00us / 1.52ms / 1.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'
}

echo "warming up (JIT) for ${WARMUP}s per front..." >&2
for port in "$OUR_PORT" "$STATIC_PORT"; do
  timeout $((WARMUP + 20)) wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:$port/v1/models" >/dev/null
done
timeout 20 wrk -t2 -c"$CONNECTIONS" -d3s "http://127.0.0.1:$NGINX_PROXY_PORT/v1/models" >/dev/null

read -r b_rps b_p50 b_p99 b_cpu <<<"$(run backend "$BACKEND_PORT" "$BACKEND_PID")"
read -r n_rps n_p50 n_p99 n_cpu <<<"$(run nginx "$NGINX_PROXY_PORT" "$NGINX_PID")"
read -r o_rps o_p50 o_p99 o_cpu <<<"$(run ours "$OUR_PORT" "$FRONT_PID_proxy")"
read -r s_rps s_p50 s_p99 s_cpu <<<"$(run static "$STATIC_PORT" "$FRONT_PID_static")"

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s GET /v1/models; $(nproc) cores; load average before: $LOAD; $(java -version 2>&1 | head -1); JAVA_OPTS=$JAVA_OPTS; front threads=$FRONT_THREADS"
printf '| peer | req/s | p50 ms | p99 ms | req/s vs nginx | CPU us/request (this peer only) |\n|---|---:|---:|---:|---:|---:|\n'
awk -v b="$b_rps" -v bp="$b_p50" -v bq="$b_p99" -v n="$n_rps" -v np="$n_p50" -v nq="$n_p99" \
    -v o="$o_rps" -v op="$o_p50" -v oq="$o_p99" -v s="$s_rps" -v sp="$s_p50" -v sq="$s_p99" \
    -v bc="$b_cpu" -v nc="$n_cpu" -v oc="$o_cpu" -v sc="$s_cpu" 'BEGIN {
  printf "| backend direct (nginx stand-in) | %.0f | %s | %s | %.2f | %s |\n", b, bp, bq, b / n, bc
  printf "| nginx proxy_pass, keepalive upstream | %.0f | %s | %s | 1.00 | %s |\n", n, np, nq, nc
  printf "| Javalin + ShimmyProxy | %.0f | %s | %s | %.2f | %s |\n", o, op, oq, o / n, oc
  printf "| Javalin alone, no proxying (front ceiling) | %.0f | %s | %s | %.2f | %s |\n", s, sp, sq, s / n, sc
  printf "\nadded p50 over the backend: nginx %+.2f ms, ShimmyProxy %+.2f ms\n", np - bp, op - bp
}'
