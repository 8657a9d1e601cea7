#!/usr/bin/env bash
# Smoke tests after a deploy: smoke.sh API_URL APP_URL. The API answers /ready with 200
# (database reachable, schema current), and the deep link /auth/callback is the web
# app's page with 200 (not S3's AccessDenied XML). Retries for a few minutes while the
# rollout and the CloudFront invalidation finish; exits 1 if either never passes.
set -uo pipefail
api=${1:?API URL, e.g. https://api.example.com}
app=${2:?web app URL, e.g. https://app.example.com}
attempts=${SMOKE_ATTEMPTS:-20}

check() {  # check NAME URL PATTERN: 200 and the body contains PATTERN
  local name=$1 url=$2 pattern=$3 body status
  for attempt in $(seq 1 "$attempts"); do
    body=$(curl --silent --show-error --max-time 10 --write-out '\n%{http_code}' "$url") || body=$'\n000'
    status=${body##*$'\n'}
    if [ "$status" = 200 ] && grep -q "$pattern" <<<"${body%$'\n'*}"; then
      echo "ok: $name ($url) after $attempt attempt(s)"
      return 0
    fi
    echo "waiting: $name ($url) answered $status"
    sleep 15
  done
  echo "::error::$name failed: $url never answered 200 with $pattern"
  return 1
}

failed=0
check "API ready" "$api/ready" '"status":"ready"' || failed=1
check "deep link" "$app/auth/callback" '<div id="root">' || failed=1
exit "$failed"
