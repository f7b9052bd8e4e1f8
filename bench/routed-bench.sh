#!/usr/bin/env bash
# Routed-request benchmark (one Shimmy per model): the server jar run as users run it
# (`java -jar shimmy-server.jar`, no JVM flags) in front of a fast stand-in Shimmy
# (bench/nginx-shimmy.sh: nginx answering Shimmy's routes), against peers in the same run:
#   1. throughput: wrk -t2 -cN POST /v1/chat/completions with a 300-byte body naming the model,
#      against (a) the stand-in directly, (b) nginx proxy_pass (keepalive upstream) to it, (c) the jar;
#   2. cold start: a request for a model whose instance is not running (--keep-alive 0), against the
#      stand-in's own start-up time (launch to first answer), both measured by the same client;
#   3. swap: --max-loaded-models 1, alternating two models (each request evicts the idle other one).
# Needs nginx, wrk, python3, curl and a JDK 17+. All traffic is on 127.0.0.1; every run is bounded.
# Usage: bench/routed-bench.sh [DURATION_S] [CONNECTIONS]  (defaults 10 32; env WARMUP_S=20, ROUNDS=3, SAMPLES=15,
#        BUILD=1 to rebuild the jar first)
set -euo pipefail

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
WARMUP="${WARMUP_S:-20}"
ROUNDS="${ROUNDS:-3}"
SAMPLES="${SAMPLES:-15}"
DIRECT_PORT=18281
NGINX_PORT=18282
JAR_PORT=18283
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STANDIN="$ROOT/bench/nginx-shimmy.sh"
JAR="$ROOT/shimmy-server-javalin/target/shimmy-server.jar"
WORK="$(mktemp -d /tmp/shimmy-routed-bench.XXXXXX)"
PIDS=()
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
for tool in nginx wrk java curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx wrk)" >&2; exit 2; }
done
# The stand-ins (ours and the ones the jar starts) make their nginx directories under $TMPDIR:
# inside $WORK, so the cleanup removes them without touching anyone else's.
export TMPDIR="$WORK"
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# BUILD=1 rebuilds the jar first (only the server jar and the modules it needs).
if [ ! -f "$JAR" ] || [ "${BUILD:-0}" = 1 ]; then
  (cd "$ROOT" && ./mvnw -B -q -DskipTests -pl shimmy-server-javalin -am package)
fi

mkdir -p "$WORK/models" "$WORK/direct"
for m in alpha beta; do printf 'GGUF\003\000\000\000' >"$WORK/models/$m.gguf"; done
cp "$WORK/models/alpha.gguf" "$WORK/direct/alpha.gguf"
python3 -c 'import json; print(json.dumps({"model":"alpha","messages":[{"role":"user","content":"x"*236}],"stream":False}))' >"$WORK/body.json"
BODY_BYTES="$(wc -c <"$WORK/body.json")"
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/body.json", "r"); wrk.body = f:read("*a"):gsub("%s+$", ""); f:close()
LUA

"$STANDIN" serve --bind "127.0.0.1:$DIRECT_PORT" --model-dirs "$WORK/direct" 2>"$WORK/direct.log" & PIDS+=($!); DIRECT_PID=$!
cat >"$WORK/proxy.conf" <<NGINX
worker_processes auto;
daemon off;
pid $WORK/proxy.pid;
error_log $WORK/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream shimmy { server 127.0.0.1:$DIRECT_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { proxy_pass http://shimmy; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGINX
nginx -p "$WORK" -c "$WORK/proxy.conf" & PIDS+=($!); NGINX_PID=$!

start_jar() { # port extra-args... -> pid in JAR_PID
  local port=$1; shift
  java -jar "$JAR" --port "$port" --bind 127.0.0.1 --model-dir "$WORK/models" --shimmy-command "$STANDIN" "$@" \
    >"$WORK/jar-$port.log" 2>&1 & PIDS+=($!); JAR_PID=$!
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://127.0.0.1:$port/v1/health" 2>/dev/null && return 0; sleep 0.2; done
  echo "the jar did not start" >&2; cat "$WORK/jar-$port.log" >&2; exit 1
}
post() { curl -fsS -o /dev/null -H 'Content-Type: application/json' --data-binary @"$WORK/body.json" "http://127.0.0.1:$1/v1/chat/completions"; }

start_jar "$JAR_PORT"
post "$JAR_PORT"   # starts alpha's instance
post "$DIRECT_PORT"; post "$NGINX_PORT"
curl -fsS "http://127.0.0.1:$JAR_PORT/v1/chat/completions" -H 'Content-Type: application/json' --data-binary @"$WORK/body.json" | grep -q 'Hello from alpha' \
  || { echo "the jar did not route to alpha" >&2; exit 1; }

cpu_ticks() { local total=0 p; for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
  total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$total"; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'; }
run() { # name port pid... -> "rps p50 p99 cpu_us non2xx"
  local name=$1 port=$2 out c0 c1; shift 2
  c0="$(cpu_ticks "$@")"
  out="$(timeout $((DURATION + 20)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/v1/chat/completions")"
  c1="$(cpu_ticks "$@")"
  echo "$out" >"$WORK/wrk-$name.txt"
  local rps p50 p99 n bad
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"; p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"; n="$(awk '/requests in/ {print $1}' <<<"$out")"
  bad="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $(awk -v c=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", c / t * 1e6 / n }') ${bad:-0}"
}

echo "warming up the jar for ${WARMUP}s..." >&2
timeout $((WARMUP + 20)) wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WORK/post.lua" "http://127.0.0.1:$JAR_PORT/v1/chat/completions" >/dev/null
timeout 20 wrk -t2 -c"$CONNECTIONS" -d3s -s "$WORK/post.lua" "http://127.0.0.1:$NGINX_PORT/v1/chat/completions" >/dev/null
RESULTS="$WORK/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS..." >&2
  echo "$round direct $(run direct "$DIRECT_PORT" "$DIRECT_PID")" >>"$RESULTS"
  echo "$round nginx $(run nginx "$NGINX_PORT" "$NGINX_PID")" >>"$RESULTS"
  echo "$round jar $(run jar "$JAR_PORT" "$JAR_PID")" >>"$RESULTS"
done
kill "$JAR_PID"; wait "$JAR_PID" 2>/dev/null || true

echo "## Routed POST /v1/chat/completions ($BODY_BYTES-byte body), wrk -t2 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds; $(nproc) cores; load average before: $LOAD; $(java -version 2>&1 | head -1); jar run as java -jar with no flags"
echo
awk '{ printf "  round %s %-7s %9.0f req/s  p50 %s ms  p99 %s ms  %s us/request  non-2xx %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$RESULTS"
echo
awk '
  function median(list,   n, i, j, t, v) { n = split(list, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
  { rps[$2] = rps[$2] " " $3; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5; cpu[$2] = cpu[$2] " " $6
    r[$1, $2] = $3; l[$1, $2] = $4; if ($1 > rounds) rounds = $1 }
  END { for (i = 1; i <= rounds; i++) for (peer in rps) { ratio[peer] = ratio[peer] " " r[i, peer] / r[i, "nginx"]; added[peer] = added[peer] " " l[i, peer] - l[i, "direct"] }
    print "| peer | req/s | p50 ms | p99 ms | req/s vs nginx (median of rounds) | added p50 ms | CPU us/request |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    split("direct nginx jar", order, " ")
    name["direct"] = "stand-in Shimmy directly"; name["nginx"] = "nginx proxy_pass, keepalive upstream"; name["jar"] = "**shimmy-server.jar (edge, routed by model)**"
    for (k = 1; k <= 3; k++) { peer = order[k]
      printf "| %s | %.0f | %.2f | %.2f | %.2f | %+.2f | %.1f |\n", name[peer], median(rps[peer]), median(p50[peer]), median(p99[peer]), median(ratio[peer]), median(added[peer]), median(cpu[peer]) } }' "$RESULTS"

# Cold start and swap: one client (python3, same process for every peer) times each request.
cat >"$WORK/timing.py" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.request
mode, port, samples, work, standin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def post(model):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": False}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", body, {"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        answer = r.read().decode()
    ms = (time.perf_counter() - t) * 1000
    assert f"Hello from {model}" in answer, answer
    return ms
def instances():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/api/instances", timeout=5) as r:
        return json.loads(r.read())
def standin_startup(model):
    d = os.path.join(work, "standin-" + model); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, model + ".gguf"), "wb").write(b"GGUF\x03\x00\x00\x00")
    t = time.perf_counter()
    p = subprocess.Popen([standin, "serve", "--bind", "127.0.0.1:18290", "--model-dirs", d], stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:18290/v1/models", timeout=1) as r:
                    if model in r.read().decode():
                        break
            except OSError:
                time.sleep(0.002)
        ms = (time.perf_counter() - t) * 1000
        return ms
    finally:
        p.terminate(); p.wait()
peer, ours = [], []
for i in range(samples):
    model = "alpha" if (mode == "cold" or i % 2 == 1) else "beta"
    peer.append(standin_startup(model))
    if mode == "cold":
        deadline = time.time() + 10
        while instances() and time.time() < deadline:
            time.sleep(0.01)
    ours.append(post(model))
med = lambda xs: statistics.median(xs)
print(f"{mode}: {samples} samples; stand-in start-up median {med(peer):.1f} ms (min {min(peer):.1f}); "
      f"request answered median {med(ours):.1f} ms (min {min(ours):.1f}, max {max(ours):.1f}); "
      f"added over the stand-in's start-up: median {med(ours) - med(peer):+.1f} ms")
PY
echo
start_jar "$JAR_PORT" --keep-alive 0 --max-loaded-models 2
python3 "$WORK/timing.py" cold "$JAR_PORT" "$SAMPLES" "$WORK" "$STANDIN"
kill "$JAR_PID"; wait "$JAR_PID" 2>/dev/null || true
start_jar "$JAR_PORT" --max-loaded-models 1
post "$JAR_PORT"
python3 "$WORK/timing.py" swap "$JAR_PORT" "$SAMPLES" "$WORK" "$STANDIN"
