#!/usr/bin/env bash
# Today's peers for the benchmarks (issue 33), beside Debian 12's 2023 builds in /usr/bin:
# - rclone 1.75: the static binary inside Debian sid's rclone .deb (apt-get download with a sid source list of its
#   own, dpkg-deb -x), in $PEERS/rclone/usr/bin/rclone;
# - awscli 2.36 with the CRT transfer client: apt-get install awscli python3-awscrt inside a debootstrap forky chroot
#   ($PEERS/forky), run as `$PEERS/aws-chroot.sh <aws args>` (same network namespace; /var/tmp is bind-mounted in, so
#   the bench's data paths are the same inside). The CRT client is a profile (`--profile crt`), which has its own
#   credentials file since an explicit profile ignores the environment's keys.
# Idempotent: what is there is reused. Needs root (debootstrap, chroot, mounts). Prints the two versions.
# Knobs: PEERS [/var/tmp/s3turbo-peers] AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY (for the crt profile)
set -euo pipefail
PEERS=${PEERS:-/var/tmp/s3turbo-peers}
MIRROR=${MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{print $2; exit}')}
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || { echo "no Debian mirror found in apt sources" >&2; exit 1; }
mkdir -p "$PEERS"

# 1. rclone from sid
if [ ! -x "$PEERS/rclone/usr/bin/rclone" ]; then
  lists=$PEERS/sid-lists; mkdir -p "$lists/partial"
  echo "deb $MIRROR sid main" >"$PEERS/sid.list"
  opts=(-o "Dir::Etc::sourcelist=$PEERS/sid.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$lists")
  apt-get "${opts[@]}" update -qq >/dev/null
  (cd "$PEERS" && rm -f rclone_*.deb && apt-get "${opts[@]}" download rclone >/dev/null)
  rm -rf "$PEERS/rclone" && dpkg-deb -x "$PEERS"/rclone_*.deb "$PEERS/rclone"
fi

# 2. awscli 2.36 + CRT in a forky chroot
ROOT=$PEERS/forky
if [ ! -x "$ROOT/usr/bin/aws" ]; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null
  if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    rm -rf "$ROOT"; mkdir -p "$ROOT"
    script=/usr/share/debootstrap/scripts/forky; [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
    debootstrap --variant=minbase forky "$ROOT" "$MIRROR" "$script" >"$PEERS/debootstrap.log" 2>&1 || { echo "debootstrap failed: $PEERS/debootstrap.log" >&2; exit 1; }
  fi
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"; chmod +x "$ROOT/usr/sbin/policy-rc.d"
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LANG=C apt-get install -y --no-install-recommends awscli python3-awscrt ca-certificates >"$PEERS/apt.log" 2>&1 ||
    { echo "apt failed: $PEERS/apt.log" >&2; exit 1; }
fi
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
mkdir -p "$ROOT/var/tmp"
mountpoint -q "$ROOT/var/tmp" || mount --bind /var/tmp "$ROOT/var/tmp"
mkdir -p "$ROOT/root/.aws"
printf '[default]\n\n[profile crt]\ns3 =\n  preferred_transfer_client = crt\n' >"$ROOT/root/.aws/config"
printf '[crt]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "${AWS_ACCESS_KEY_ID:-S3TURBO}" "${AWS_SECRET_ACCESS_KEY:-S3TURBO-SECRET}" >"$ROOT/root/.aws/credentials"
# The command the bench runs: the environment's keys pass through chroot (env is kept).
cat >"$PEERS/aws-chroot.sh" <<EOF
#!/bin/sh
exec chroot "$ROOT" /usr/bin/aws "\$@"
EOF
chmod +x "$PEERS/aws-chroot.sh"
echo "rclone: $("$PEERS/rclone/usr/bin/rclone" version 2>/dev/null | head -1)"
echo "aws: $("$PEERS/aws-chroot.sh" --version 2>&1)"
