#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis against a live server, as CI does (`make api-fuzz`).
#
# Starts a simulated Salesforce org (`tributary-sim org`) and `tributary serve` on a temporary
# data directory with a token holding every scope, then runs schemathesis over every operation of
# GET /openapi.json: examples, coverage (positive and negative cases), fuzzing and stateful phases,
# checking for server errors, response-schema, status-code, content-type and header conformance,
# and that operations needing a token refuse requests without one. Fails when schemathesis finds
# anything, when fewer than MIN_CASES cases ran, or when the server has died.
#
# Environment: BIN (the built products, default .build/debug), CASES (most cases per operation,
# default 250), MIN_CASES (default 2000), SEED (default 20261127), REPORT_DIR (default
# .build/api-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/debug}
PYTHON_TOOLS=.build/python-tools/bin
CASES=${CASES:-250}
MIN_CASES=${MIN_CASES:-2000}
SEED=${SEED:-20261127}
REPORT_DIR=${REPORT_DIR:-.build/api-fuzz}

work=$(mktemp -d)
org_pid=""
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -n "$org_pid" ] && kill "$org_pid" 2>/dev/null && wait "$org_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Answers 0 when GET <url> answers 200 (Python's, so the script needs no curl).
answers_ok() {
    "$PYTHON_TOOLS/python3" -c 'import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)' "$1" 2>/dev/null
}

# The simulated org prints 'org <url> <client id> <client secret>' once it listens.
"$BIN/tributary-sim" org --accounts 300 > "$work/org.out" 2> "$work/org.err" &
org_pid=$!
for _ in $(seq 1 100); do
    [ -s "$work/org.out" ] && break
    sleep 0.1
done
read -r _ org_url client_id client_secret < "$work/org.out" || { echo "api-fuzz: the simulated org did not start" >&2; cat "$work/org.err" >&2; exit 1; }

token=$("$PYTHON_TOOLS/python3" -c 'import secrets; print(secrets.token_hex(24))')
echo "fuzzer ingest,query,admin $token" > "$work/tokens"
# Port 0: the server binds a free port itself and logs it (no window for another process to take
# a port chosen here).
SALESFORCE_CLIENT_SECRET="$client_secret" "$BIN/tributary" serve \
    --data-dir "$work/data" --port 0 --log-level info \
    --tokens-file "$work/tokens" \
    --salesforce-login-url "$org_url" --salesforce-client-id "$client_id" \
    > "$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 300); do
    port=$(grep -Eo 'listening on 127\.0\.0\.1:[0-9]+' "$work/server.log" | head -1 | grep -Eo '[0-9]+$' || true)
    [ -n "$port" ] && answers_ok "http://127.0.0.1:$port/ready" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "api-fuzz: the server exited" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
if [ -z "$port" ] || ! answers_ok "http://127.0.0.1:$port/ready"; then
    echo "api-fuzz: the server did not become ready in 30 s" >&2
    cat "$work/server.log" >&2
    exit 1
fi

mkdir -p "$REPORT_DIR"
set +e
"$PYTHON_TOOLS/schemathesis" --config-file Tools/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,ignored_auth \
    --max-examples "$CASES" --seed "$SEED" --no-color \
    --request-timeout 20 --workers 2 \
    --report junit --report-junit-path "$REPORT_DIR/junit.xml" \
    2>&1 | tee "$REPORT_DIR/schemathesis.txt"
status=${PIPESTATUS[0]}
set -e

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "api-fuzz: the server died during the run" >&2
    tail -50 "$work/server.log" >&2
    exit 1
fi
cases=$(grep -Eo '^ *[0-9]+ generated' "$REPORT_DIR/schemathesis.txt" | grep -Eo '[0-9]+' | tail -1 || true)
echo "api-fuzz: schemathesis exit $status, ${cases:-0} cases generated (at least $MIN_CASES wanted)"
[ "$status" -eq 0 ] || exit "$status"
[ "${cases:-0}" -ge "$MIN_CASES" ] || { echo "api-fuzz: too few cases" >&2; exit 1; }
