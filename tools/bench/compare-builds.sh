#!/usr/bin/env bash
# Side-by-side A/B of two builds of the module (e.g. before and after a refactor): the same S3Turbo commands,
# alternating old/new, through the bench's 20 ms RTT proxy, each in a fresh pwsh under /usr/bin/time.
# Needs a finished `build.ps1 -Task Bench` run (its data under /var/tmp/s3turbo-bench, its source objects in
# s3turbo-bench-src, output/bench-tool) and the local gateway on 127.0.0.1:7480.
#   SCENARIOS="small large copy read stream tarc tarb" ROUNDS=3 tools/bench/compare-builds.sh OLD.psd1 NEW.psd1
# Build the old one from a worktree: git worktree add /tmp/old <commit> && (cd /tmp/old && dotnet pwsh ./build.ps1)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
PWSH="dotnet $(ls -d /root/.nuget/packages/powershell/7.6.9/tools/net10.0/any/unix)/pwsh.dll"
OLD=$1
NEW=$2
SCENARIOS=${SCENARIOS:-small large copy read stream tarc tarb}
C="-EndpointUrl http://127.0.0.1:7481 -AccessKey S3TURBO -SecretKey S3TURBO-SECRET -WarningAction SilentlyContinue"
dotnet "$root/output/bench-tool/S3Turbo.Bench.dll" proxy 7481 7480 10 >/dev/null 2>&1 &
PROXY=$!
sleep 2
run() { # label module command
  /usr/bin/time -f "%e %U %S %M" -o /tmp/ab.time $PWSH -NoProfile -NonInteractive -Command "Import-Module $2; \$ProgressPreference='SilentlyContinue'; $3" >/dev/null 2>/tmp/ab.err
  read e u s m < /tmp/ab.time
  printf "%-6s %-8s wall %6.2f s  cpu %6.2f s  rss %4d MB  %s\n" "$1" "$4" "$e" "$(echo "$u + $s" | bc)" "$((m/1024))" "$(grep -h 'first' /tmp/ab.err | head -1)"
}
for round in $(seq 1 ${ROUNDS:-3}); do
  for which in old new; do
    mod=$OLD; [ $which = new ] && mod=$NEW
    for scen in $SCENARIOS; do
      case $scen in
        small) cmd="Send-S3Directory -Path /var/tmp/s3turbo-bench/small -Recurse -BucketName s3turbo-bench -KeyPrefix ab-$which/ -Mode Overwrite $C | Out-Null" ;;
        large) cmd="Send-S3Directory -Path /var/tmp/s3turbo-bench/large/big.bin -BucketName s3turbo-bench -KeyPrefix ab-$which/ -Mode Overwrite $C | Out-Null" ;;
        copy)  cmd="Copy-S3Prefix s3://s3turbo-bench-src/copy-small/ s3://s3turbo-bench/ab-copy-$which/ -Mode Overwrite $C | Out-Null" ;;
        read)  cmd="\$s = Open-S3Object s3://s3turbo-bench-src/read/big.bin $C; \$b = [byte[]]::new(1MB); while (\$s.Read(\$b, 0, \$b.Length) -gt 0) {}" ;;
        tarc)  cmd="\$r = Get-S3TarIndex -BucketName s3turbo-bench-src -Prefix tar-many-archives/ -DestinationBucket s3turbo-bench -DestinationPrefix ab-idx-$which/ $C; \$w = Get-S3TarIndex -BucketName s3turbo-bench-src -Prefix tar-many-archives/ -DestinationBucket s3turbo-bench -DestinationPrefix ab-idx2-$which/ $C; [Console]::Error.WriteLine(('first {0:F3} s, second {1:F3} s, bytes read {2}' -f \$r.Elapsed.TotalSeconds, \$w.Elapsed.TotalSeconds, \$r.BytesRead))" ;;
        tarb)  cmd="\$r = Get-S3TarIndex -BucketName s3turbo-bench-src -Prefix tar-large-members/ -DestinationBucket s3turbo-bench -DestinationPrefix ab-idx-$which/ $C; \$w = Get-S3TarIndex -BucketName s3turbo-bench-src -Prefix tar-large-members/ -DestinationBucket s3turbo-bench -DestinationPrefix ab-idx2-$which/ $C; [Console]::Error.WriteLine(('first {0:F3} s, second {1:F3} s, bytes read {2}' -f \$r.Elapsed.TotalSeconds, \$w.Elapsed.TotalSeconds, \$r.BytesRead))" ;;
        stream) cmd="\$s = New-S3UploadStream -BucketName s3turbo-bench -Key ab-$which/stream.bin $C; \$in = [IO.File]::OpenRead('/var/tmp/s3turbo-bench/large/big.bin'); \$in.CopyTo(\$s, 1MB); \$s.Complete() | Out-Null" ;;
      esac
      run $which $mod "$cmd" $scen
    done
  done
done
kill $PROXY
rm -f /tmp/ab.time /tmp/ab.err
