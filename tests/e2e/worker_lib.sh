# shellcheck shell=bash
# Helpers for tests that run ddump-worker. Source after lib.sh.

WORKER_PORT=""

# start_worker NS NAME [ARGS...]   run ddump-worker inside test netns NS (or
#                      "-" for the host namespace) as spawned process NAME,
#                      listening on :0 unless ARGS has --listen; waits for its
#                      "listening" line and sets WORKER_PORT to the first TCP
#                      port it bound.
start_worker() {
    local ns=$1 name=$2
    shift 2
    local args=("$@")
    [[ " ${args[*]} " == *" --listen "* ]] || args=(--listen :0 "${args[@]}")
    if [[ "$ns" == - ]]; then
        spawn "$name" "$(e2e_bin ddump-worker)" "${args[@]}"
    else
        ns_spawn "$ns" "$name" "$(e2e_bin ddump-worker)" "${args[@]}"
    fi
    wait_for_log "$name" '(info listening address=|"event":"listening")' 10 ||
        fail "worker $name did not start: $(cat "$(log_err "$name")")"
    # text: listening address="H:P"   json: "address":"H:P",...,"event":"listening"
    WORKER_PORT=$(grep -E 'listening' "$(log_err "$name")" | grep -oE '(address=|"address":)"[^"]*:[0-9]+"' |
        head -1 | sed -E 's/.*:([0-9]+)"$/\1/' || true)
    [[ "$WORKER_PORT" =~ ^[0-9]+$ ]] || WORKER_PORT=""
}

# http_status NS URL [CURL_ARGS...]   print the HTTP status of URL fetched from NS
http_status() {
    local ns=$1 url=$2
    shift 2
    _e2e_in_ns "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url"
}

# http_body NS URL [CURL_ARGS...]   print the body of URL fetched from NS
http_body() {
    local ns=$1 url=$2
    shift 2
    _e2e_in_ns "$ns" curl -s --max-time 5 "$@" "$url"
}
