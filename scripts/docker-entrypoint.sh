#!/bin/sh
# Container entry. Normally the image runs as the unprivileged `node` user and this only execs the
# command. Railway mounts volumes owned by root, so a service with a volume at /data is started as
# root (RAILWAY_RUN_UID=0): then give DATA_DIR to `node` and drop to it before starting the bot.
# `exec` keeps node as PID 1 so SIGTERM from Railway/Docker reaches it directly.
set -eu
if [ "$(id -u)" = 0 ]; then
  dir="${DATA_DIR:-/data}"
  mkdir -p "$dir"
  chown -R node:node "$dir"
  exec setpriv --reuid=node --regid=node --init-groups --inh-caps=-all -- "$@"
fi
exec "$@"
