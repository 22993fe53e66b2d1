#!/usr/bin/env bash
# Reference recipe (verified on this kind of machine): a single-node Ceph cluster (1 mon, 1 OSD, no mgr)
# with the RADOS Gateway (S3) on 127.0.0.1, built from Debian packages inside a debootstrap chroot:
# CEPH_SUITE=forky (the default: Ceph 20.2 "Tentacle", which stores and returns S3 checksums, answers HEAD
# partNumber and GetObjectAttributes, and honours If-None-Match) or trixie (Ceph 18.2 "Reef": none of these, and it
# keeps aws-chunked in Content-Encoding). Both accept the AWS SDK v4's default upload checksums (aws-chunked with
# trailers); Debian 12's own Ceph 16.2 does not (it needs RequestChecksumCalculation=WHEN_REQUIRED).
# The host's debootstrap may lack a script for forky: sid's script serves it.
# Needs root (chroot, mounts). Cold: ~30 s debootstrap + ~30 s apt + ~15 s start; warm: ~15 s.
#
# Knobs: CEPH_SUITE [forky|trixie] S3_PORT [7480] S3_ACCESS_KEY [S3TURBO] S3_SECRET_KEY [S3TURBO-SECRET]
#        ROOTFS [/var/tmp/s3turbo-ceph/<suite>/rootfs] MON_V2 [3300] MON_V1 [6789] (another suite beside: other ports)
#        OSD_STORE [bluestore|memstore] OSD_SIZE_GB [40 sparse file | 4 memstore]
# Stop with s3-server-stop.sh (same ROOTFS). Project copy of the verified recipe; additions: it reuses a
# gateway that is already answering unless its OSD is full (S3TURBO_S3_FRESH=1 forces a fresh cluster), and
# garbage-collects deleted objects within a minute, so benchmarks that write and delete GiBs do not fill the OSD.
# The gateway sets TCP_NODELAY (beast tcp_nodelay=1): without it, small responses such as a ListObjectsV2 page
# wait ~40 ms for a delayed ACK (Nagle), a stall real S3 does not have (measured: a 1-key listing 45 ms -> 2 ms).
set -euo pipefail
. "$(dirname "$0")/s3-server-pids.sh"
CEPH_SUITE=${CEPH_SUITE:-forky}
S3_PORT=${S3_PORT:-7480}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-S3TURBO}
S3_SECRET_KEY=${S3_SECRET_KEY:-S3TURBO-SECRET}
ROOTFS=${ROOTFS:-/var/tmp/s3turbo-ceph/$CEPH_SUITE/rootfs}
OSD_STORE=${OSD_STORE:-bluestore}
if [ "$OSD_STORE" = memstore ]; then OSD_SIZE_GB=${OSD_SIZE_GB:-4}; else OSD_SIZE_GB=${OSD_SIZE_GB:-40}; fi
MON_V2=${MON_V2:-3300}; MON_V1=${MON_V1:-6789}
# The Debian mirror this machine's apt already uses (deb822 or one-line format).
MIRROR=${MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{print $2; exit}')}
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || { echo "no Debian mirror found in apt sources" >&2; exit 1; }
# /var/tmp/s3turbo-ceph/rootfs links to the rootfs whose gateway serves the default port, so that
# s3-server-stop.sh, s3-server-restart-gateway.sh and the tests find it whatever its suite. A gateway of another
# suite on that port is stopped first (a Reef cluster left by an older copy of this script lived there itself).
ACTIVE=/var/tmp/s3turbo-ceph/rootfs
if [ "$S3_PORT" = 7480 ] && [ "$(readlink -f "$ACTIVE" 2>/dev/null)" != "$(readlink -f "$ROOTFS" 2>/dev/null)" ] && [ -e "$ACTIVE" ]; then
  echo "stopping the gateway of $(readlink -f "$ACTIVE") (another suite)"
  ROOTFS=$ACTIVE "$(dirname "$0")/s3-server-stop.sh" >/dev/null || true
  if [ -d "$ACTIVE" ] && [ ! -L "$ACTIVE" ]; then
    if [ -e /var/tmp/s3turbo-ceph/trixie/rootfs ]; then rm -rf "$ACTIVE"; else mkdir -p /var/tmp/s3turbo-ceph/trixie && mv "$ACTIVE" /var/tmp/s3turbo-ceph/trixie/rootfs; fi
  else rm -f "$ACTIVE"; fi
fi
if [ "${S3TURBO_S3_FRESH:-0}" != 1 ] && [ -f "$ROOTFS/ceph/run/pids" ] && curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"; then
  alive=1; for p in $(cat "$ROOTFS/ceph/run/pids"); do ceph_pid_is_ours "$p" "$ROOTFS" || alive=0; done
  # A full OSD makes every write hang: such a cluster is replaced, not reused.
  if [ $alive = 1 ] && chroot "$ROOTFS" ceph -c /ceph/ceph.conf --connect-timeout 5 health 2>/dev/null | grep -qi 'full'; then
    echo "the running gateway's OSD is full: starting a fresh cluster"; alive=0
  fi
  # A gateway started by an older copy of this script (without tcp_nodelay) would skew latency figures.
  if [ $alive = 1 ] && ! grep -q '^rgw_frontends = .*tcp_nodelay=1' "$ROOTFS/ceph/ceph.conf" 2>/dev/null; then
    echo "the running gateway lacks tcp_nodelay: starting a fresh cluster"; alive=0
  fi
  # A gateway of another Ceph release (a Reef one left from before the move to Tentacle) is replaced, not reused.
  if [ $alive = 1 ] && [ "$(cat "$ROOTFS/ceph/suite" 2>/dev/null)" != "$CEPH_SUITE" ]; then
    echo "the running gateway is not from $CEPH_SUITE: starting a fresh cluster"; alive=0
  fi
  if [ $alive = 1 ]; then echo "reusing the running gateway: http://127.0.0.1:$S3_PORT"; exit 0; fi
fi
t0=$SECONDS; log() { printf '[%4ds] %s\n' $((SECONDS - t0)) "$*"; }
X="chroot $ROOTFS"; IN=/ceph; DIR=$ROOTFS$IN

# 1. rootfs with Ceph (once; reused afterwards)
if [ ! -x "$ROOTFS/usr/bin/radosgw" ]; then
  if ! command -v debootstrap >/dev/null || ! command -v curl >/dev/null; then
    # a fresh machine may have empty package lists: update once, then install
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap curl >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap curl >/dev/null; } ||
      { echo "could not install debootstrap/curl" >&2; exit 1; }
  fi
  if [ ! -x "$ROOTFS/usr/bin/apt-get" ]; then
    log "debootstrap $CEPH_SUITE into $ROOTFS"; rm -rf "$ROOTFS"; mkdir -p "$ROOTFS"
    script=/usr/share/debootstrap/scripts/$CEPH_SUITE; [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
    debootstrap --variant=minbase "$CEPH_SUITE" "$ROOTFS" "$MIRROR" "$script" >"$ROOTFS.debootstrap.log" 2>&1 || { echo "debootstrap failed: $ROOTFS.debootstrap.log" >&2; exit 1; }
  fi
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"; chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
  mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
  mountpoint -q "$ROOTFS/dev" || mount --bind /dev "$ROOTFS/dev"
  log "apt-get install ceph (in rootfs)"
  $X env DEBIAN_FRONTEND=noninteractive LANG=C apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >"$ROOTFS.apt.log" 2>&1 || { echo "apt failed: $ROOTFS.apt.log" >&2; exit 1; }
fi
mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
mountpoint -q "$ROOTFS/dev" || mount --bind /dev "$ROOTFS/dev"

# 2. fresh cluster state + config (cephx off inside the cluster; S3 signatures are still checked)
[ -f "$DIR/run/pids" ] && ROOTFS=$ROOTFS "$(dirname "$0")/s3-server-stop.sh" >/dev/null || true
rm -rf "$DIR"; mkdir -p "$DIR"/{run,log,crash,mon/a,osd/0,rgw}; : >"$DIR/keyring"; : >"$DIR/run/pids"; echo "$CEPH_SUITE" >"$DIR/suite"
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$DIR/ceph.conf" <<CONF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
public_network = 127.0.0.0/8
ms_bind_ipv4 = true
ms_bind_ipv6 = false
ms_mon_client_mode = crc
client_mount_timeout = 60
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $IN/run
admin_socket = $IN/run/\$name.asok
pid_file = $IN/run/\$name.pid
log_file = $IN/log/\$name.log
keyring = $IN/keyring
crash_dir = $IN/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
mon_data_avail_warn = 2
mon_data_avail_crit = 1
debug_ms = 0/0
debug_rgw = 0/0
debug_osd = 0/0
debug_bluestore = 0/0
debug_bluefs = 0/0
debug_rocksdb = 0/0
debug_mon = 0/0
debug_paxos = 0/0
[mon]
mon_data = $IN/mon/\$id
mon_initial_members = a
mon_cluster_log_file = $IN/log/cluster.log
[osd]
osd_data = $IN/osd/\$id
osd_objectstore = $OSD_STORE
osd_memory_target = 1073741824
bluestore_block_create = true
bluestore_block_size = $((OSD_SIZE_GB * 1024 * 1024 * 1024))
memstore_device_bytes = $((OSD_SIZE_GB * 1024 * 1024 * 1024))
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 2
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw_data = $IN/rgw
rgw_thread_pool_size = 128
rgw_enable_usage_log = false
rgw_gc_obj_min_wait = 30
rgw_gc_processor_period = 30
CONF
C="-c $IN/ceph.conf"
recordpid() { for i in $(seq 1 80); do [ -s "$DIR/run/$1.pid" ] && { cat "$DIR/run/$1.pid" >>"$DIR/run/pids"; return 0; }; sleep 0.25; done; echo "no pid file for $1" >&2; return 1; }

# 3. monitor, OSD, gateway
$X monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" $IN/monmap >/dev/null
$X ceph-authtool --create-keyring $IN/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
$X ceph-mon $C --mkfs -i a --monmap $IN/monmap --keyring $IN/mon.keyring
$X ceph-mon $C -i a; recordpid mon.a
for i in $(seq 1 60); do $X ceph $C --connect-timeout 5 mon stat >/dev/null 2>&1 && break; sleep 0.5; done
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
[ "$($X ceph $C osd new "$OSD_UUID")" = 0 ] || { echo "unexpected OSD id" >&2; exit 1; }
$X ceph-osd $C -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.log" 2>&1
$X ceph-osd $C -i 0 2>>"$DIR/log/osd-start.log"; recordpid osd.0
for i in $(seq 1 120); do $X ceph $C osd dump 2>/dev/null | grep -q '^osd.0 up' && break; sleep 0.5; done
$X radosgw $C -n client.rgw.a 2>>"$DIR/log/rgw-start.log"; recordpid client.rgw.a
for i in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.25; done
curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" || { echo "radosgw did not come up; logs in $DIR/log" >&2; exit 1; }
$X radosgw-admin $C user create --uid=s3turbo --display-name="S3Turbo tests" --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
if [ "$S3_PORT" = 7480 ]; then rm -f "$ACTIVE"; ln -s "$ROOTFS" "$ACTIVE"; fi
log "ready ($($X radosgw --version | awk '{print $3}')): http://127.0.0.1:$S3_PORT (path-style; region us-east-1) access key $S3_ACCESS_KEY"
