# Sourced by s3-server-start.sh, -stop.sh and -restart-gateway.sh. A pid file outlives its process (a reboot, a
# machine image taken while the cluster ran), and the pid it names may by now belong to anything else: an MSBuild
# node, the test host. So a recorded pid is only ever signalled when it is still a Ceph daemon chrooted into this
# rootfs (its /proc root is the rootfs and its name is one of ours).
ceph_pid_is_ours() { # pid rootfs
  local pid=$1 root; root=$(readlink -f "$2")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(readlink -f "/proc/$pid/root" 2>/dev/null)" = "$root" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq '(^|/)(ceph-mon|ceph-osd|radosgw)( |$)'
}
# The recorded pids that are still ours, newest first.
ceph_live_pids() { # rootfs
  local p; [ -f "$1/ceph/run/pids" ] || return 0
  for p in $(tac "$1/ceph/run/pids"); do ceph_pid_is_ours "$p" "$1" && echo "$p"; done; return 0
}
