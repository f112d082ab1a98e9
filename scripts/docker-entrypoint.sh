#!/bin/sh
# Container entry. Normally the image runs as the unprivileged `node` user and this only execs the
# command. Railway mounts volumes owned by root, so a service with a volume at /data is started as
# root (service variable RAILWAY_RUN_UID=0): then hand DATA_DIR to the unprivileged user and drop to
# it before starting the bot. `exec` keeps node as PID 1 so SIGTERM reaches it directly.
# SMC_RUN_AS names that user (default `node`, uid 1000 in the node images).
set -eu
if [ "$(id -u)" = 0 ]; then
  user="${SMC_RUN_AS:-node}"
  dir="${DATA_DIR:-/data}"
  mkdir -p "$dir"
  chown -R "$user:$(id -gn "$user")" "$dir"
  exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --inh-caps=-all -- "$@"
fi
exec "$@"
