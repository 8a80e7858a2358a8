#!/bin/bash
# Runs inside `dbus-run-session`: a real gnome-keyring-daemon (Secret Service) for the keychain tests,
# driven over stdin so one session serves a whole test file (see keyring.ts). HOME is a throwaway
# folder set by the caller: the keyring files land in $HOME/.local/share/keyrings/.
#
# Prints "ready <DBUS_SESSION_BUS_ADDRESS>" when the Secret Service answers, then one line per command:
#   lock    restart the daemon without unlocking: the login keyring is locked
#   unlock  restart it unlocked
#   freeze  SIGSTOP the daemon: every call hangs
#   thaw    SIGCONT it
# On end of input it stops the daemon (by its PID: without --foreground it would outlive the session).
set -u
PW=carto-keys-test
daemon=""

has_owner() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

start() {
  if [ "$1" = unlocked ]; then
    printf '%s' "$PW" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  else
    gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 </dev/null &
  fi
  daemon=$!
  # Wait for the bus name (dbus-send blocks until the bus answers: no sleep needed).
  until has_owner; do
    if ! kill -0 "$daemon" 2>/dev/null; then echo "error gnome-keyring-daemon exited"; exit 1; fi
  done
}

stop() {
  if [ -n "$daemon" ]; then
    kill -CONT "$daemon" 2>/dev/null
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
    daemon=""
  fi
  while has_owner; do :; done
}

trap stop EXIT
start unlocked
echo "ready $DBUS_SESSION_BUS_ADDRESS"
while read -r cmd; do
  case "$cmd" in
    lock) stop; start locked; echo "ok lock" ;;
    unlock) stop; start unlocked; echo "ok unlock" ;;
    freeze) kill -STOP "$daemon"; echo "ok freeze" ;;
    thaw) kill -CONT "$daemon"; echo "ok thaw" ;;
    *) echo "error unknown command $cmd" ;;
  esac
done
