#!/usr/bin/env bash
# Proxy benchmark: the same wrk load against (1) the backend directly, (2) nginx proxy_pass with a
# keepalive upstream, (3) the server jar's layout: ShimmyEdge (Netty) on the port before the Javalin
# app, (4) Javalin + ShimmyProxy alone (the embedded plugin), (5) the same Javalin front answering by
# itself without proxying (the ceiling of the front server), all on 127.0.0.1, in one run.
# The backend is an nginx stand-in for Shimmy answering a small static JSON. The load is REQUEST=chat
# (default): POST /v1/chat/completions with a 300-byte body naming its model and no "stream" (so the
# fronts route by model and add "stream":false, as for openai-java), or REQUEST=models: GET
# /api/models (a model-less proxied GET).
# Needs: nginx, wrk (apt-get install -y nginx wrk), a JDK 17+. Every load run is bounded in time.
# Usage: bench/proxy-bench.sh [DURATION_S] [CONNECTIONS]   (defaults 10 32; env REQUEST, JAVA_OPTS, FRONT_THREADS, WARMUP_S, ROUNDS)
set -euo pipefail

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
FRONT_THREADS="${FRONT_THREADS:-64}"
ROUNDS="${ROUNDS:-3}"
REQUEST="${REQUEST:-chat}"
WARMUP="${WARMUP_S:-60}"
JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseParallelGC}"
BACKEND_PORT=18181
NGINX_PROXY_PORT=18182
OUR_PORT=18183
STATIC_PORT=18184
EDGE_PORT=18185
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

# The request every peer gets: a wrk script (method, body, headers) and the path.
if [ "$REQUEST" = chat ]; then
  BENCH_PATH=/v1/chat/completions
  HEAD='{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"'
  TAIL='"}],"max_tokens":16}'
  PAD="$(head -c $((300 - ${#HEAD} - ${#TAIL})) /dev/zero | tr '\0' 'x')"
  BODY="$HEAD$PAD$TAIL" # exactly 300 bytes, no "stream"
  cat >"$WORK/request.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$BODY'
LUA
else
  BENCH_PATH=/api/models
  echo "" >"$WORK/request.lua"
fi

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
    location = /api/models {
      default_type application/json;
      return 200 '{"models":[{"name":"bench-model","size_bytes":1,"model_type":"llama","parameter_count":null,"source":"discovered"}]}';
    }
    location = /v1/chat/completions {
      default_type application/json;
      return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}';
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
for front in "edge $EDGE_PORT" "proxy $OUR_PORT" "static $STATIC_PORT"; do
  read -r mode port <<<"$front"
  # shellcheck disable=SC2086
  java $JAVA_OPTS -cp "$CP" io.github.shimmypull.server.javalin.bench.ProxyBenchMain \
    "$port" "http://127.0.0.1:$BACKEND_PORT" "$mode" "$FRONT_THREADS" >"$WORK/front-$mode.log" 2>&1 & PIDS+=($!)
  declare "FRONT_PID_$mode=$!"
done

wait_for() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/api/models" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing answers on port $1" >&2; cat "$WORK"/*.log >&2; exit 1
}
wait_for "$BACKEND_PORT"; wait_for "$NGINX_PROXY_PORT"; wait_for "$OUR_PORT"; wait_for "$STATIC_PORT"; wait_for "$EDGE_PORT"

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
  out="$(timeout $((DURATION + 20)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/request.lua" "http://127.0.0.1:$port$BENCH_PATH")"
  if grep -q "Non-2xx" <<<"$out"; then echo "$name answered non-2xx: $out" >&2; exit 1; fi
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
for port in "$EDGE_PORT" "$OUR_PORT" "$STATIC_PORT"; do
  timeout $((WARMUP + 20)) wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WORK/request.lua" "http://127.0.0.1:$port$BENCH_PATH" >/dev/null
done
timeout 20 wrk -t2 -c"$CONNECTIONS" -d3s -s "$WORK/request.lua" "http://127.0.0.1:$NGINX_PROXY_PORT$BENCH_PATH" >/dev/null

# ROUNDS rounds, each running every peer once in the same order, so background load hits all of
# them alike; the table shows each peer's median, and the ratios are medians of per-round ratios.
RESULTS="$WORK/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS..." >&2
  echo "$round backend $(run backend "$BACKEND_PORT" "$BACKEND_PID")" >>"$RESULTS"
  echo "$round nginx $(run nginx "$NGINX_PROXY_PORT" "$NGINX_PID")" >>"$RESULTS"
  echo "$round edge $(run edge "$EDGE_PORT" "$FRONT_PID_edge")" >>"$RESULTS"
  echo "$round proxy $(run proxy "$OUR_PORT" "$FRONT_PID_proxy")" >>"$RESULTS"
  echo "$round static $(run static "$STATIC_PORT" "$FRONT_PID_static")" >>"$RESULTS"
done

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s $(if [ "$REQUEST" = chat ]; then echo "POST $BENCH_PATH (${#BODY}-byte body)"; else echo "GET $BENCH_PATH"; fi), $ROUNDS rounds; $(nproc) cores; load average before: $LOAD; $(java -version 2>&1 | head -1); JAVA_OPTS=$JAVA_OPTS; front threads=$FRONT_THREADS"
echo
echo "per round (req/s; CPU us/request):"
awk '{ printf "  round %s %-8s %9.0f req/s  p50 %s ms  p99 %s ms  %s us\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS"
echo
awk '
  function median(list,   n, i, j, t, v) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { rps[$2] = rps[$2] " " $3; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5; cpu[$2] = cpu[$2] " " $6
    r[$1, $2] = $3; l[$1, $2] = $4; if ($1 > rounds) rounds = $1 }
  END {
    for (i = 1; i <= rounds; i++) for (peer in rps) {
      ratio[peer] = ratio[peer] " " r[i, peer] / r[i, "nginx"]
      added[peer] = added[peer] " " l[i, peer] - l[i, "backend"]
    }
    print "| peer | req/s | p50 ms | p99 ms | req/s vs nginx (median of rounds) | added p50 ms | CPU us/request (this peer only) |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    split("backend nginx edge proxy static", order, " ")
    name["backend"] = "backend direct (nginx stand-in)"; name["nginx"] = "nginx proxy_pass, keepalive upstream"
    name["edge"] = "**ShimmyEdge + Javalin app (server jar default)**"; name["proxy"] = "Javalin + ShimmyProxy (plugin, --proxy-engine javalin)"
    name["static"] = "Javalin alone, no proxying"
    for (k = 1; k <= 5; k++) { peer = order[k]
      printf "| %s | %.0f | %.2f | %.2f | %.2f | %+.2f | %.1f |\n", name[peer], median(rps[peer]), median(p50[peer]), median(p99[peer]), median(ratio[peer]), median(added[peer]), median(cpu[peer]) }
  }' "$RESULTS"
