#!/usr/bin/env bash
# Stops only the RADOS Gateway of the local test cluster (started by s3-server-start.sh), keeps it down for
# DOWN_SECONDS [10], and starts it again; the monitor and OSD, and so the data, stay. Used by the reliability
# tests to take the S3 endpoint away mid-run. Needs root.
set -euo pipefail
ROOTFS=${ROOTFS:-/var/tmp/s3turbo-ceph/rootfs}; S3_PORT=${S3_PORT:-7480}; DOWN_SECONDS=${DOWN_SECONDS:-10}
DIR=$ROOTFS/ceph; PIDFILE=$DIR/run/client.rgw.a.pid
[ -s "$PIDFILE" ] || { echo "no gateway pid file at $PIDFILE" >&2; exit 1; }
. "$(dirname "$0")/s3-server-pids.sh"
old=$(cat "$PIDFILE")
# Never signal a pid that is no longer this rootfs's gateway (tools/s3-server-pids.sh).
ceph_pid_is_ours "$old" "$ROOTFS" || { echo "pid $old in $PIDFILE is not this rootfs's gateway" >&2; exit 1; }
kill -TERM "$old" 2>/dev/null || true
for i in $(seq 1 80); do ceph_pid_is_ours "$old" "$ROOTFS" || break; sleep 0.25; done
ceph_pid_is_ours "$old" "$ROOTFS" && kill -KILL "$old"
sleep "$DOWN_SECONDS"
rm -f "$PIDFILE"
chroot "$ROOTFS" radosgw -c /ceph/ceph.conf -n client.rgw.a 2>>"$DIR/log/rgw-start.log"
for i in $(seq 1 80); do [ -s "$PIDFILE" ] && break; sleep 0.25; done
new=$(cat "$PIDFILE")
# Keep s3-server-start.sh's record of the daemons true, so it reuses (and s3-server-stop.sh stops) the new one.
sed -i "s/^$old\$/$new/" "$DIR/run/pids"
for i in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.25; done
curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" || { echo "radosgw did not come back" >&2; exit 1; }
echo "gateway restarted: pid $old -> $new after ${DOWN_SECONDS}s down"
