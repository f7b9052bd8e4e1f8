#!/usr/bin/env bash
# A fast stand-in for Shimmy, for benchmarks only: it takes Shimmy's command line
# (`serve --bind HOST:PORT --model-dirs DIR` and `list --short --model-dirs DIR`), names the models
# in DIR by Shimmy's rules (file name up to the last '.', '_' and ' ' to '-', lower case) and
# `exec`s an nginx that answers /health, /v1/models and POST /v1/chat/completions and
# /v1/completions with small constant JSON naming the model it serves. It costs the backend almost
# nothing, so a benchmark through it measures the front. Needs nginx on the PATH.
set -euo pipefail

command="${1:-}"
shift || true
bind="" dirs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) bind="$2"; shift 2 ;;
    --model-dirs) dirs="$2"; shift 2 ;;
    *) shift ;;
  esac
done

ids() {
  local f name
  for f in "$dirs"/*.gguf; do
    [ -e "$f" ] || continue
    name="$(basename "$f")"
    name="${name%.*}"
    name="${name//_/-}"
    name="${name// /-}"
    printf '%s\n' "${name,,}"
  done | sort -u
}

case "$command" in
  list) ids; exit 0 ;;
  serve) ;;
  *) echo "nginx-shimmy: unknown command '$command'" >&2; exit 2 ;;
esac

models="$(ids)"
[ -n "$models" ] || { echo "no models found" >&2; exit 1; }
first="$(head -n1 <<<"$models")"
data="$(while read -r id; do printf '{"id":"%s","object":"model","created":0,"owned_by":"shimmy"},' "$id"; done <<<"$models")"
data="${data%,}"
work="$(mktemp -d /tmp/nginx-shimmy.XXXXXX)"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  server {
    listen $bind;
    default_type application/json;
    location = /health { return 200 '{"status":"ok","service":"shimmy"}'; }
    location = /v1/models { return 200 '{"object":"list","data":[$data]}'; }
    location = /v1/chat/completions {
      return 200 '{"id":"chatcmpl-0","object":"chat.completion","created":0,"model":"$first","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from $first"},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}';
    }
    location = /v1/completions {
      return 200 '{"id":"cmpl-0","object":"text_completion","created":0,"model":"$first","choices":[{"text":"Hello from $first","index":0,"finish_reason":"stop"}]}';
    }
  }
}
NGINX
echo "🚀 Starting Shimmy stand-in (nginx) on http://$bind serving $first" >&2
exec nginx -p "$work" -c "$work/nginx.conf"
