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
export CHATGUARD_INGEST_PORT=${CHATGUARD_INGEST_PORT:-8080}
export CHATGUARD_INGEST_METRICS_PORT=${CHATGUARD_INGEST_METRICS_PORT:-9309}
RATE=${CHATGUARD_SAMPLE_RATE:-100}

# Secrets of this checkout's own (pseudonym key, one secret per channel), made once and kept
# in .run/secrets.env (git-ignored, mode 600). Variables already set in the environment win.
if [ ! -s "$STATE/secrets.env" ]; then
  (umask 077 && "$BIN/python" - > "$STATE/secrets.env" <<'PY'
import secrets
for name in ("PSEUDONYM_KEY", "SLACK_SIGNING_SECRET", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN",
             "TELEGRAM_SECRET_TOKEN", "INGEST_HMAC_SECRET", "WIDGET_SITE_KEYS"):
    print(f"CHATGUARD_{name}={secrets.token_hex(32 if name == 'PSEUDONYM_KEY' else 16)}")
PY
  )
fi
while IFS='=' read -r name value; do
  [ -n "${!name:-}" ] || export "$name=$value"
done < "$STATE/secrets.env"
# The vault: its master key in a file of its own (mode 600), its database an SQLite file here.
if [ ! -s "$STATE/vault-master.key" ]; then
  (umask 077 && "$BIN/python" -c "import secrets; print(secrets.token_hex(32))" > "$STATE/vault-master.key")
fi
export CHATGUARD_VAULT_MASTER_KEY_FILE=${CHATGUARD_VAULT_MASTER_KEY_FILE:-$PWD/$STATE/vault-master.key}
export CHATGUARD_VAULT_DATABASE_URL=${CHATGUARD_VAULT_DATABASE_URL:-sqlite:///$PWD/$STATE/vault.db}
# Secure forms: a bot token of its own (added to an older secrets.env too).
if ! grep -q '^CHATGUARD_FORMS_BOT_TOKEN=' "$STATE/secrets.env"; then
  (umask 077 && echo "CHATGUARD_FORMS_BOT_TOKEN=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')" >> "$STATE/secrets.env")
fi
export CHATGUARD_FORMS_BOT_TOKEN=${CHATGUARD_FORMS_BOT_TOKEN:-$(sed -n 's/^CHATGUARD_FORMS_BOT_TOKEN=//p' "$STATE/secrets.env")}
export CHATGUARD_FORMS_PORT=${CHATGUARD_FORMS_PORT:-8092}
# The console reveals and erases through the vault's API, with a token of their own.
if ! grep -q '^CHATGUARD_VAULT_API_TOKEN=' "$STATE/secrets.env"; then
  (umask 077 && echo "CHATGUARD_VAULT_API_TOKEN=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')" >> "$STATE/secrets.env")
fi
export CHATGUARD_VAULT_API_TOKEN=${CHATGUARD_VAULT_API_TOKEN:-$(sed -n 's/^CHATGUARD_VAULT_API_TOKEN=//p' "$STATE/secrets.env")}
export CHATGUARD_CONSOLE_PORT=${CHATGUARD_CONSOLE_PORT:-8090}

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

# A stable name (static group membership): after an unclean stop, the next `make run`'s worker
# gets its partitions back at once instead of after the old member's session timeout.
CHATGUARD_WORKER_INSTANCE_ID="${CHATGUARD_WORKER_INSTANCE_ID:-make-run-worker-1}" \
  "$BIN/chatguard" worker >"$STATE/worker.log" 2>&1 &
pids+=($!)
"$BIN/chatguard" ingest >"$STATE/ingest.log" 2>&1 &
pids+=($!)
"$BIN/chatguard" vault forms >"$STATE/forms.log" 2>&1 &
pids+=($!)
# A stand-in bot: the console's "send a secure form" reaches it; it writes the links to a file.
export CHATGUARD_FORMS_BOT_WEBHOOK_URL=${CHATGUARD_FORMS_BOT_WEBHOOK_URL:-http://127.0.0.1:8093/chatguard/forms}
"$BIN/chatguard" sample-bot --port 8093 --out "$STATE/bot-chat.jsonl" >"$STATE/sample-bot.log" 2>&1 &
pids+=($!)
"$BIN/chatguard" vault serve >"$STATE/vault-api.log" 2>&1 &
pids+=($!)
"$BIN/chatguard" console >"$STATE/console.log" 2>&1 &
pids+=($!)
# The first Administrator's one-time set-up link (only while nobody has an account).
ADMIN_LINK=$("$BIN/chatguard" console first-admin --username admin 2>/dev/null || true)
for _ in $(seq 100); do
  "$BIN/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$CHATGUARD_INGEST_PORT/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
FORM_ASK="curl -s -X POST http://127.0.0.1:$CHATGUARD_FORMS_PORT/forms -H 'Authorization: Bearer $CHATGUARD_FORMS_BOT_TOKEN' -d '{\"channel\":\"web\",\"channel_kind\":\"private\",\"conversation_id\":\"demo\",\"sender_id\":\"demo-visitor\",\"fields\":[\"name\",\"phone\",\"address\"]}'"
FORM_LINK=""
for _ in $(seq 50); do
  FORM_LINK=$(eval "$FORM_ASK" 2>/dev/null | "$BIN/python" -c "import json,sys; print(json.load(sys.stdin)['url'])" 2>/dev/null) && break
  sleep 0.2
done
# Sample traffic enters the way the platforms send it: signed webhooks to the ingest service.
"$BIN/chatguard" traffic --url "http://127.0.0.1:$CHATGUARD_INGEST_PORT" --rate "$RATE" >"$STATE/traffic.log" 2>&1 &
pids+=($!)

cat <<TXT
chatguard is running
  Kafka         $CHATGUARD_KAFKA_BOOTSTRAP  (topics: chat.raw -> chat.analytics, chat.storage, chat.nlp; chat.quarantine, chat.erasure)
  ingest        http://127.0.0.1:$CHATGUARD_INGEST_PORT  (Slack, Messenger, Telegram, HTTP and widget endpoints)
  try it        http://127.0.0.1:$CHATGUARD_INGEST_PORT/widget/#site_key=$CHATGUARD_WIDGET_SITE_KEYS
  metrics       worker http://127.0.0.1:$CHATGUARD_METRICS_PORT/metrics, ingest http://127.0.0.1:$CHATGUARD_INGEST_METRICS_PORT/metrics
  dashboard     deploy/grafana/dashboards/chatguard.json (Grafana; with Docker: docker compose -f deploy/compose.yaml up)
  logs          $STATE/worker.log, $STATE/ingest.log, $STATE/forms.log, $STATE/console.log, $STATE/vault-api.log, $STATE/traffic.log
  sample data   $RATE signed webhook requests/s with fake names, e-mails, phones, cards, IBANs
  vault         $CHATGUARD_VAULT_DATABASE_URL (master key $STATE/vault-master.key); open a finding's
                vault_ref with: set -a; . $STATE/secrets.env; set +a; CHATGUARD_VAULT_MASTER_KEY_FILE=$STATE/vault-master.key \
                CHATGUARD_VAULT_DATABASE_URL=$CHATGUARD_VAULT_DATABASE_URL $BIN/chatguard vault reveal REF --reason "why you need it"
  console       http://127.0.0.1:$CHATGUARD_CONSOLE_PORT/login  ${ADMIN_LINK:+(first Administrator: set a password and TOTP at $ADMIN_LINK)}
  bot           links the console sends winners (Contests, Send secure form) land in $STATE/bot-chat.jsonl
  secure form   ${FORM_LINK:-(not ready: see $STATE/forms.log)}  (one use, 15 minutes; a bot asks for another with:)
                $FORM_ASK
Ctrl-C stops everything.

TXT
"$BIN/chatguard" watch --metrics-url "http://127.0.0.1:$CHATGUARD_METRICS_PORT/metrics" \
  --ingest-metrics-url "http://127.0.0.1:$CHATGUARD_INGEST_METRICS_PORT/metrics" &
pids+=($!)
# Stop when any child dies (e.g. the worker failed to start), not only on Ctrl-C.
wait -n "${pids[@]}" || true
[ "$stopping" = yes ] || echo "a chatguard process exited; see $STATE/*.log" >&2
