#!/bin/sh
# slabhw snapshot capture: copy /sys/kernel/slab + a few /proc and cpu files,
# tar+gzip+base64 them out over the second serial port (ttyS1), then power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
O=/out/root
mkdir -p $O/sys/kernel/slab $O/proc/sys/kernel $O/sys/devices/system/cpu /out/meta
# slab caches (directories) and aliases (symlinks)
for e in /sys/kernel/slab/*; do
  n=${e##*/}
  if [ -L "$e" ]; then
    t=$(readlink "$e")
    ln -s "$t" "$O/sys/kernel/slab/$n"
    echo "$n ${t##*/}" >> /out/meta/aliases
  elif [ -d "$e" ]; then
    mkdir -p "$O/sys/kernel/slab/$n"
    for f in "$e"/*; do
      a=${f##*/}
      [ -f "$f" ] || { echo "$n $a nonregular" >> /out/meta/skipped; continue; }
      if ! cat "$f" > "$O/sys/kernel/slab/$n/$a" 2>/out/meta/err; then
        rm -f "$O/sys/kernel/slab/$n/$a"
        echo "$n $a $(cat /out/meta/err | tr '\n' ' ')" >> /out/meta/unreadable
      fi
    done
  fi
done
cat /proc/slabinfo > $O/proc/slabinfo
cat /proc/cmdline > $O/proc/cmdline
cat /proc/version > $O/proc/version
cat /proc/cpuinfo > $O/proc/cpuinfo
cat /proc/sys/kernel/osrelease > $O/proc/sys/kernel/osrelease
for m in possible present online; do cat /sys/devices/system/cpu/$m > $O/sys/devices/system/cpu/$m; done
ls -l /sys/kernel/slab > /out/meta/ls-slab 2>&1
dmesg > /out/meta/dmesg 2>&1
touch /out/meta/unreadable /out/meta/skipped
stty -F /dev/ttyS1 raw -echo 2>/dev/null
{
  echo "===SLABHW-BEGIN==="
  tar cf - -C /out root meta | gzip -c | base64
  echo "===SLABHW-END==="
} > /dev/ttyS1
sync
poweroff -f
