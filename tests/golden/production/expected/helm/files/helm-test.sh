# `helm test`: run by busybox sh in the test pods (templates/tests/). Each argument is
# KIND:HOST:PORT, HOST a Service of the release:
#   http  an HTTP request (GET /) gets an HTTP response, whatever its status: the API's
#         server answers (OpenIM 3.8 has no health route; an unknown path gets 404 from it);
#   tcp   a TCP connection opens: through a ClusterIP Service that needs a ready endpoint
#         (no permission needed, unlike reading Endpoints).
# Each check is tried ATTEMPTS times, DELAY seconds apart, TIMEOUT seconds each; every target
# is checked and reported, and the exit status is 1 when any failed.
set -u
attempts=${ATTEMPTS:-5}
delay=${DELAY:-3}
limit=${TIMEOUT:-5}

check_tcp() {
  # -e true: once connected, nc runs `true` (exit 0) instead of waiting for data.
  nc -w "$limit" "$1" "$2" -e true 2>/dev/null
}

check_http() {
  reply=$(printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" | timeout "$limit" nc -w "$limit" "$1" "$2" 2>/dev/null | head -n 1)
  case $reply in
    HTTP/*) return 0 ;;
  esac
  return 1
}

check() {
  case $1 in
    http) check_http "$2" "$3" ;;
    *) check_tcp "$2" "$3" ;;
  esac
}

if [ "$#" -eq 0 ]; then
  echo "helm-test: nothing to check" >&2
  exit 2
fi
failed=0
for target in "$@"; do
  kind=${target%%:*}
  rest=${target#*:}
  host=${rest%%:*}
  port=${rest#*:}
  case $kind in
    http)
      ok="answers HTTP"
      fail="gave no HTTP response in $attempts attempts"
      ;;
    tcp)
      ok="has a ready endpoint (a TCP connection through the Service opened)"
      fail="has no ready endpoint (no TCP connection through the Service in $attempts attempts)"
      ;;
    *)
      echo "helm-test: $target: expected http:HOST:PORT or tcp:HOST:PORT" >&2
      exit 2
      ;;
  esac
  try=1
  until check "$kind" "$host" "$port"; do
    if [ "$try" -ge "$attempts" ]; then
      echo "FAIL: $host:$port $fail" >&2
      failed=1
      continue 2
    fi
    try=$((try + 1))
    sleep "$delay"
  done
  echo "ok: $host:$port $ok"
done
exit "$failed"
