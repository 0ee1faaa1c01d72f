#!/usr/bin/env bash
# `make run`: a local broker, the topics, the worker and sample chat traffic full of (fake)
# personal data, with a live view of throughput and redactions. Ctrl-C stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=.venv/bin
STATE=.run
mkdir -p "$STATE"
export CHATGUARD_KAFKA_PORT=${CHATGUARD_KAFKA_PORT:-9092}
export CHATGUARD_KAFKA_BOOTSTRAP=${CHATGUARD_KAFKA_BOOTSTRAP:-127.0.0.1:$CHATGUARD_KAFKA_PORT}
export CHATGUARD_METRICS_PORT=${CHATGUARD_METRICS_PORT:-9308}
RATE=${CHATGUARD_SAMPLE_RATE:-100}

# A pseudonym key of this checkout's own, made once; never committed (.run/ is ignored).
if [ -z "${CHATGUARD_PSEUDONYM_KEY:-}" ]; then
  [ -s "$STATE/pseudonym.key" ] || (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' > "$STATE/pseudonym.key")
  CHATGUARD_PSEUDONYM_KEY=$(cat "$STATE/pseudonym.key")
  export CHATGUARD_PSEUDONYM_KEY
fi

pids=()
started_broker=no
stopping=no
cleanup() {
  trap - INT TERM EXIT
  stopping=yes
  echo
  echo "stopping ..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_broker" = yes ]; then deploy/kafka/kafka.sh down; fi
}
trap cleanup INT TERM EXIT

if ! deploy/kafka/kafka.sh status >/dev/null 2>&1; then
  deploy/kafka/kafka.sh up >/dev/null
  started_broker=yes
fi
"$BIN/chatguard" topics apply >/dev/null

"$BIN/chatguard" worker >"$STATE/worker.log" 2>&1 &
pids+=($!)
"$BIN/chatguard" produce --sample --rate "$RATE" --quiet >"$STATE/producer.log" 2>&1 &
pids+=($!)

cat <<TXT
chatguard is running
  Kafka         $CHATGUARD_KAFKA_BOOTSTRAP  (topics: chat.raw -> chat.analytics, chat.storage, chat.nlp; chat.quarantine)
  metrics       http://127.0.0.1:$CHATGUARD_METRICS_PORT/metrics
  logs          $STATE/worker.log, $STATE/producer.log
  sample data   $RATE messages/s with fake names, e-mails, phones, cards, IBANs
Ctrl-C stops everything.

TXT
"$BIN/chatguard" watch --metrics-url "http://127.0.0.1:$CHATGUARD_METRICS_PORT/metrics" &
pids+=($!)
# Stop when any child dies (e.g. the worker failed to start), not only on Ctrl-C.
wait -n "${pids[@]}" || true
[ "$stopping" = yes ] || echo "a chatguard process exited; see $STATE/*.log" >&2
