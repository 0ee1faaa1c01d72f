#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) for development and tests,
# without Docker: only Java 17+ and Maven are needed. Jars come from Maven Central.
#
# Usage: deploy/kafka/kafka.sh fetch|up|down|status|reset|config|mirror|connect-standalone
#   config: only write server.properties and log4j2.properties into the state dir, print the former's path
#   mirror FILE: MirrorMaker 2 in dedicated mode with FILE (e.g. deploy/mirrormaker/mm2.properties)
#   connect-standalone WORKER CONNECTOR...: a standalone Kafka Connect worker running the connectors
#                (e.g. deploy/mirrormaker/mirror-source-connector.json)
#   Both run in the foreground from the same jars, logging to stdout; Ctrl-C stops them.
#
# Environment:
#   CHATGUARD_KAFKA_VERSION          Kafka version (default 4.1.1)
#   CHATGUARD_KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 9092)
#   CHATGUARD_KAFKA_CONTROLLER_PORT  KRaft controller listener (default: port + 1000, e.g. 10092)
#   CHATGUARD_KAFKA_STATE_DIR        config, data, logs, pid (default ~/.cache/chatguard/broker-<port>)
#   CHATGUARD_KAFKA_JAVA_OPTS        JVM options (default: small heap, the machines have 2 cores)
#   CHATGUARD_KAFKA_START_TIMEOUT    seconds `up` waits for the broker (default 90)
#
# Secured mode (opt-in; unset = the PLAINTEXT listener above, no authentication, no authorizer):
#   CHATGUARD_KAFKA_SASL_USERS_FILE  file of "username:password" lines (# comments and blank lines ignored).
#                                    The client listener on the same port becomes SASL_PLAINTEXT (mechanism
#                                    PLAIN), so does the controller listener, and StandardAuthorizer checks
#                                    every request: what no ACL allows is denied. Usernames: letters, digits,
#                                    . _ -; passwords: printable ASCII without spaces, " or \. The passwords
#                                    are copied into server.properties (mode 600) in the state dir.
#   CHATGUARD_KAFKA_SASL_ADMIN       the user from that file who is the super user (super.users) and the
#                                    broker's own identity on both listeners (default admin). Create the
#                                    other users' ACLs as this user, e.g. with `chatguard topics acls`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${CHATGUARD_KAFKA_VERSION:-4.1.1}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/chatguard
DIST=$CACHE/kafka-$VERSION
LIBS=$DIST/libs
PORT=${CHATGUARD_KAFKA_PORT:-9092}
CPORT=${CHATGUARD_KAFKA_CONTROLLER_PORT:-$((PORT + 1000))}
STATE=${CHATGUARD_KAFKA_STATE_DIR:-$CACHE/broker-$PORT}
JAVA_OPTS=${CHATGUARD_KAFKA_JAVA_OPTS:--Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true}
TIMEOUT=${CHATGUARD_KAFKA_START_TIMEOUT:-90}
USERS_FILE=${CHATGUARD_KAFKA_SASL_USERS_FILE:-}
ADMIN=${CHATGUARD_KAFKA_SASL_ADMIN:-admin}
PIDFILE=$STATE/kafka.pid
PROPS=$STATE/server.properties
OUT=$STATE/kafka.out        # JVM stdout/stderr (crashes, early errors)
SERVERLOG=$STATE/server.log # log4j2

say() { echo "kafka.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The jar set is what pom.xml lists: a cache fetched from another pom.xml (e.g. before MirrorMaker
# was added) is fetched again.
POM_STAMP=$(cksum <"$HERE/pom.xml")

fetch() {
  [[ -f $DIST/.complete && $(<"$DIST/.complete") == "$POM_STAMP" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once to download Kafka $VERSION)"
  mkdir -p "$DIST"
  # Copy into a scratch dir and rename, so an interrupted fetch never looks complete.
  rm -rf "$LIBS" "$LIBS.tmp"
  say "fetching Apache Kafka $VERSION and its dependencies with Maven into $LIBS ..."
  # Output kept in a log and shown only on failure: even -q Maven prints stray colour codes.
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$DIST/mvn.log" 2>&1 \
    || { cat "$DIST/mvn.log" >&2; die "Maven could not fetch Kafka $VERSION (log: $DIST/mvn.log)"; }
  rm -f "$DIST/.complete"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  echo "$POM_STAMP" >"$DIST/.complete"
}

# The pid is ours only if that process is still the broker of this state dir (pids get reused).
running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid; pid=$(<"$PIDFILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$PROPS" || return 1
  fi
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The listeners part of server.properties: PLAINTEXT, or SASL/PLAIN with StandardAuthorizer when
# CHATGUARD_KAFKA_SASL_USERS_FILE is set.
listener_config() {
  if [[ -z $USERS_FILE ]]; then
    cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
EOF
    return 0
  fi
  [[ -f $USERS_FILE && -r $USERS_FILE ]] || die "CHATGUARD_KAFKA_SASL_USERS_FILE: cannot read $USERS_FILE"
  [[ $ADMIN =~ ^[A-Za-z0-9._-]+$ ]] || die "CHATGUARD_KAFKA_SASL_ADMIN: username must be letters, digits, . _ -"
  # Byte-wise character classes: [[:graph:]] is then exactly printable ASCII without space.
  local LC_ALL=C line name password users="" admin_password="" seen=" " n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line == *:* ]] || die "$USERS_FILE line $n: expected username:password"
    name=${line%%:*} password=${line#*:}
    # Never echo the line: it holds a password.
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "$USERS_FILE line $n: a username must be letters, digits, . _ -"
    [[ $password =~ ^[[:graph:]]+$ && $password != *[\"\\]* ]] \
      || die "$USERS_FILE line $n: a password must be printable ASCII without spaces, \" or \\"
    [[ $seen == *" $name "* ]] && die "$USERS_FILE line $n: user $name is listed twice"
    seen+="$name "
    users+=" user_$name=\"$password\""
    [[ $name == "$ADMIN" ]] && admin_password=$password
  done <"$USERS_FILE"
  [[ -n $admin_password ]] || die "CHATGUARD_KAFKA_SASL_ADMIN: user $ADMIN is not in $USERS_FILE"
  local login="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$ADMIN\" password=\"$admin_password\""
  cat <<EOF
listeners=SASL_PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
controller.listener.names=CONTROLLER
# SASL/PLAIN on both listeners (CHATGUARD_KAFKA_SASL_USERS_FILE). The broker logs in as $ADMIN to
# itself and to its controller; only $ADMIN may log in on the controller listener.
sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=$login$users;
listener.name.controller.plain.sasl.jaas.config=$login user_$ADMIN="$admin_password";
# Every request is checked against the ACLs in the cluster metadata: no ACL, no access.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$ADMIN
EOF
}

write_config() {
  mkdir -p "$STATE/data"
  local listeners; listeners=$(listener_config)
  # Holds the SASL passwords in secured mode: readable by its owner only.
  : >"$PROPS"
  chmod 600 "$PROPS"
  cat >"$PROPS" <<EOF
# Written by deploy/kafka/kafka.sh; rewritten on every 'up'.
process.roles=broker,controller
node.id=1
$listeners
controller.quorum.voters=1@127.0.0.1:$CPORT
log.dirs=$STATE/data
num.partitions=1
# Topics come from "chatguard topics apply" only: an auto-created chat.raw would get
# the broker default retention (7 days) instead of one hour.
auto.create.topics.enable=false
# One node: every internal topic must fit on it.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions and threads: faster first group join on a 2-core machine.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
num.network.threads=2
num.io.threads=4
group.initial.rebalance.delay.ms=0
EOF
  cat >"$STATE/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $SERVERLOG
appender.file.filePattern = $SERVERLOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Per-partition and per-request chatter.
logger.log.name = kafka.log
logger.log.level = WARN
logger.storage.name = org.apache.kafka.storage
logger.storage.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

up() {
  local pid
  if pid=$(running_pid); then
    say "already running (pid $pid)"
    echo "127.0.0.1:$PORT"
    return 0
  fi
  port_open "$PORT" && die "127.0.0.1:$PORT is already in use by another process"
  port_open "$CPORT" && die "127.0.0.1:$CPORT (controller) is already in use by another process"
  fetch
  command -v java >/dev/null || die "java not found (Java 17+ needed)"
  write_config
  local cp="$LIBS/*"
  if [[ ! -f $STATE/data/meta.properties ]]; then
    local id; id=$(java -Dlog4j2.configurationFile="$STATE/log4j2.properties" -cp "$cp" kafka.tools.StorageTool random-uuid)
    # Static voters (controller.quorum.voters), hence no --standalone.
    java -Dlog4j2.configurationFile="$STATE/log4j2.properties" -cp "$cp" \
      kafka.tools.StorageTool format -t "$id" -c "$PROPS" >"$OUT" 2>&1 \
      || { cat "$OUT" >&2; die "formatting $STATE/data failed"; }
  fi
  # Old log lines must not satisfy the readiness check below.
  [[ -f $SERVERLOG ]] && mv -f "$SERVERLOG" "$SERVERLOG.prev"
  rm -f "$PIDFILE"
  local setsid=; command -v setsid >/dev/null && setsid=setsid # detach from our terminal and its signals
  # The inner shell writes its own pid and then becomes java, so the pid file is right however setsid forks.
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of words
  $setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
    java $JAVA_OPTS -Dlog4j2.configurationFile="$STATE/log4j2.properties" -Dkafka.logs.dir="$STATE" \
    -cp "$cp" kafka.Kafka "$PROPS" >"$OUT" 2>&1 </dev/null &
  say "starting broker (state dir $STATE${USERS_FILE:+; SASL_PLAINTEXT with ACLs, super user $ADMIN}) ..."
  local deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if port_open "$PORT" && grep -qs 'Kafka Server started' "$SERVERLOG"; then
      echo "127.0.0.1:$PORT"
      return 0
    fi
    if [[ -s $PIDFILE ]] && ! kill -0 "$(<"$PIDFILE")" 2>/dev/null; then
      tail -n 40 "$OUT" "$SERVERLOG" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      die "broker exited during startup (logs in $STATE)"
    fi
    sleep 0.5
  done
  tail -n 40 "$OUT" "$SERVERLOG" >&2 2>/dev/null || true
  die "broker not ready after ${TIMEOUT}s (still running; logs in $STATE; stop it with: $0 down)"
}

down() {
  local pid
  if ! pid=$(running_pid); then
    if [[ -f $PIDFILE ]]; then say "not running (removing stale pid file)"; rm -f "$PIDFILE"
    else say "not running (no pid file in $STATE)"; fi
    return 0
  fi
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 30 s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

status() {
  local pid
  if pid=$(running_pid); then echo "running (pid $pid, bootstrap 127.0.0.1:$PORT)"; return 0; fi
  echo "stopped"
  return 1
}

config() {
  write_config
  echo "$PROPS"
}

reset() {
  down
  # Refuse to delete a directory this script did not create (e.g. a mistyped STATE_DIR).
  if [[ -d $STATE ]]; then
    [[ -f $PROPS ]] || die "$STATE does not look like a broker state dir, not deleting it"
    rm -rf "$STATE"
    say "deleted $STATE"
  fi
}

# A Kafka tool in the foreground from the same jars, logging to stdout: whoever starts it stops
# it (SIGTERM). Usage: run_tool CLASS ARGS...
run_tool() {
  fetch
  command -v java >/dev/null || die "java not found (Java 17+ needed)"
  local log4j=$CACHE/tool-log4j2.properties
  cat >"$log4j" <<EOF
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
# Every client and connector prints its whole configuration when it starts.
logger.config.name = org.apache.kafka.common.config
logger.config.level = WARN
EOF
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of words
  exec java $JAVA_OPTS -Dlog4j2.configurationFile="$log4j" -cp "$LIBS/*" "$@"
}

# MirrorMaker 2, dedicated mode: what connect-mirror-maker.sh runs in a Kafka distribution or the
# apache/kafka image.
mirror() {
  [[ $# == 1 && -f $1 && -r $1 ]] || die "usage: $0 mirror FILE (e.g. deploy/mirrormaker/mm2.properties)"
  run_tool org.apache.kafka.connect.mirror.MirrorMaker "$1"
}

# A standalone Kafka Connect worker (connect-standalone.sh), e.g. to run
# deploy/mirrormaker/mirror-source-connector.json without a Connect cluster.
connect_standalone() {
  [[ $# -ge 2 ]] || die "usage: $0 connect-standalone WORKER.properties CONNECTOR.json|.properties..."
  run_tool org.apache.kafka.connect.cli.ConnectStandalone "$@"
}

case "${1:-}" in
  fetch | up | down | status | reset | config) "$1" ;;
  mirror) shift; mirror "$@" ;;
  connect-standalone) shift; connect_standalone "$@" ;;
  *) echo "usage: $0 fetch|up|down|status|reset|config|mirror FILE|connect-standalone WORKER CONNECTOR..." >&2; exit 2 ;;
esac
