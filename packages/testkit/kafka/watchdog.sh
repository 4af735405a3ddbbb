#!/usr/bin/env bash
# Runs one JVM for the testkit and guarantees it dies with its owner.
# Usage: watchdog.sh OWNER_PID command args...
# The testkit starts this script as the leader of a fresh process group, so stop()/kill() signal the
# whole group. If the owning Node process disappears without cleaning up (a crash, SIGKILL, a killed
# CI step), this loop notices and kills the JVM, so no broker outlives the run that started it.
owner=$1
shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?' TERM INT
while kill -0 "$owner" 2>/dev/null; do
  if ! kill -0 "$child" 2>/dev/null; then
    wait "$child"
    exit $?
  fi
  sleep 0.5
done
kill -KILL "$child" 2>/dev/null
exit 137
