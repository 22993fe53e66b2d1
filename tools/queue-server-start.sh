#!/usr/bin/env bash
# The SQS endpoint for the queue tests: moto's server (pip's moto[server], preinstalled on these machines) on
# 127.0.0.1, started in the background unless one is already answering. It keeps its queues in memory, so a
# restart empties them; the tests create their own queues. S3 stays on the Ceph gateway.
# Knobs: SQS_PORT [5055] MOTO_LOG [/var/tmp/s3turbo-moto.log]
set -euo pipefail
SQS_PORT=${SQS_PORT:-5055}
MOTO_LOG=${MOTO_LOG:-/var/tmp/s3turbo-moto.log}
url="http://127.0.0.1:$SQS_PORT/"
if curl -s -o /dev/null --max-time 2 "$url"; then echo "reusing: $url (moto)"; exit 0; fi
command -v moto_server >/dev/null || { echo "moto_server not found (pip install 'moto[server]')" >&2; exit 1; }
nohup setsid moto_server -H 127.0.0.1 -p "$SQS_PORT" >"$MOTO_LOG" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if curl -s -o /dev/null --max-time 1 "$url"; then echo "ready: $url (moto; log $MOTO_LOG)"; exit 0; fi
  sleep 0.5
done
echo "moto_server did not answer on $url within 30 s; see $MOTO_LOG" >&2
exit 1
