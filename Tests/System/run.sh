#!/usr/bin/env bash
# dosecab system tests: boots a Debian 12 guest under qemu (software emulation) with
# systemd as PID 1, journald and the gpio-sim kernel module, installs the Debian package
# built around the release binaries (apt install ./dosecab_*.deb), runs
# Tests/System/scenarios/*.sh inside it and fails, naming the failing step, on any failure.
# See docs/system-tests.md.
#
# Usage: bash Tests/System/run.sh [--rebuild] [--keep] [--build] [--only GLOB]
#   --rebuild   ignore the caches (module, guest root, image) and build them again
#   --keep      keep the run's disk image (the run folder is always kept, without it)
#   --build     build release binaries first (swift build -c release --static-swift-stdlib)
#   --only GLOB run only scenarios whose file name matches GLOB (others are not listed)
# Environment: DOSECAB_SYSTEST_CACHE (cache folder), DOSECAB_BIN_DIR (where dosecabd and
#   dosecabctl are), DOSECAB_CHECKOUTS_DIR (the release build's checkouts, for the package's
#   manual generator; default DOSECAB_BIN_DIR/../checkouts), DOSECAB_SYSTEST_TIMEOUT
#   (seconds for the whole guest run, default 3600),
#   DOSECAB_SYSTEST_SMP / DOSECAB_SYSTEST_MEM (guest CPUs, MiB; default 1 / 768),
#   DOSECAB_SYSTEST_CPU (qemu -cpu; default qemu64 with SSE4.2: see docs/system-tests.md),
#   DOSECAB_SYSTEST_ICOUNT (qemu -icount options, default shift=0,sleep=off; "off": none),
#   DOSECAB_SYSTEST_QEMU_ARGS (more qemu arguments, for experiments).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SYS="$ROOT/Tests/System"
CACHE="${DOSECAB_SYSTEST_CACHE:-${HOME:-/root}/.cache/dosecab-systest}"
TIMEOUT="${DOSECAB_SYSTEST_TIMEOUT:-3600}"
SMP="${DOSECAB_SYSTEST_SMP:-1}"
# Guest time from instruction counting (see the boot step); "off" gives real-time TCG.
ICOUNT="${DOSECAB_SYSTEST_ICOUNT:-shift=0,sleep=off}"
MEM="${DOSECAB_SYSTEST_MEM:-768}"
CPU="${DOSECAB_SYSTEST_CPU:-qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt}"
SUITE=bookworm
# The guest's packages. Beyond the base set: jq so scenarios can check `journalctl -o json`
# and `dosecabctl --json` field by field; libsqlite3-0 because the daemon's store links it.
GUEST_PACKAGES=systemd,systemd-sysv,udev,kmod,libgpiod2,gpiod,libsystemd0,dbus,jq,libsqlite3-0

rebuild=0 keep=0 build=0 only=""
while (($#)); do
    case "$1" in
        --rebuild) rebuild=1 ;;
        --keep) keep=1 ;;
        --build) build=1 ;;
        --only) only="${2:?--only needs a glob}"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "system-test: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
    shift
done

step="preflight"
step_t0=0
run_t0=$(date +%s.%N)
qemu_pid=""
stage=""
reported=0

say() { printf '[system-test] %s\n' "$*"; }
fail() {
    printf 'system-test: FAILED at step "%s": %s\n' "$step" "$*" >&2
    reported=1
    exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
begin() { step="$1"; step_t0=$(date +%s.%N); }
end() { say "step $step: $(elapsed "$step_t0") s${1:+ ($1)}"; }

cleanup() {
    local rc=$?
    if [[ -n "$qemu_pid" ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    [[ ${upgrade_pid:-} =~ ^[0-9]+$ ]] && kill "$upgrade_pid" 2>/dev/null
    [[ -n "$stage" && -d "$stage" ]] && rm -rf --one-file-system "$stage" "$stage.initrd"
    if [[ -n "${run_dir:-}" && $keep -eq 0 ]]; then rm -f "$run_dir/disk.img"; fi
    if ((rc != 0 && reported == 0)); then
        printf 'system-test: FAILED at step "%s" (exit %d; see the output above)\n' "$step" "$rc" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hash_of() { sha256sum | cut -c1-16; }

# --- preflight -----------------------------------------------------------------------------
begin preflight
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || fail "must run as root (apt-get, debootstrap, mkfs with root-owned files)"
    exec sudo --preserve-env=DOSECAB_SYSTEST_CACHE,DOSECAB_BIN_DIR,DOSECAB_CHECKOUTS_DIR,DEB_BUILD_OPTIONS,DOSECAB_SYSTEST_TIMEOUT,DOSECAB_SYSTEST_SMP,DOSECAB_SYSTEST_MEM,DOSECAB_SYSTEST_STRICT,DOSECAB_SYSTEST_ICOUNT,DOSECAB_SYSTEST_QEMU_ARGS,HOME bash "$0" "$@"
fi
[[ $(uname -m) == x86_64 ]] || fail "the rig boots an amd64 guest and expects an x86_64 host (this is $(uname -m))"
mkdir -p "$CACHE"

# --- apt: host packages ----------------------------------------------------------------------
begin apt
# debhelper, dpkg-dev, fakeroot: debian/build-deb.sh builds the package the guest installs.
host_pkgs=(qemu-system-x86 debootstrap linux-image-amd64 linux-source-6.1 e2fsprogs gcc libc6-dev binutils make xz-utils python3 kmod cpio openssl
           debhelper dpkg-dev fakeroot)
missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${host_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
apt_updated=0
apt_install() {
    # Other builds on the machine may hold the dpkg lock for a while: wait for it.
    local lock=(-o DPkg::Lock::Timeout=300)
    if ((apt_updated == 0)); then apt-get "${lock[@]}" update -qq || fail "apt-get update failed"; apt_updated=1; fi
    say "installing: $*"
    DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq --no-install-recommends "$@" >"$CACHE/apt.log" 2>&1 \
        || { tail -n 20 "$CACHE/apt.log" >&2; fail "apt-get install $* failed (log: $CACHE/apt.log)"; }
}
((${#missing[@]})) && apt_install "${missing[@]}"
# The guest boots the kernel that linux-image-amd64 points at; the module is built against
# that same version's headers (the running host kernel does not matter).
kpkg=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | tr ',' '\n' | grep -oE 'linux-image-[0-9][^ ]*' | head -n1)
[[ -n "$kpkg" ]] || fail "cannot tell which kernel linux-image-amd64 depends on"
KVER=${kpkg#linux-image-}
installed "linux-headers-$KVER" || apt_install "linux-headers-$KVER"
VMLINUZ=/boot/vmlinuz-$KVER
[[ -r $VMLINUZ ]] || fail "$VMLINUZ is missing although $kpkg is installed"
qemu_err=$(qemu-system-x86_64 -machine q35,accel=tcg -display none -nodefaults -no-user-config \
    -S -monitor none -serial none -daemonize -pidfile "$CACHE/probe.pid" 2>&1) \
    || { echo "system-test: FAILED: qemu cannot run on this machine: ${qemu_err:-no error text}" >&2; reported=1; exit 1; }
kill "$(cat "$CACHE/probe.pid")" 2>/dev/null || true
rm -f "$CACHE/probe.pid"
end "kernel $KVER"

# --- mirror: from this machine's apt configuration, never from the repository ----------------
begin mirror
mirror_from_apt() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        # deb822: paragraphs of Field: value; pick an enabled "deb" paragraph serving $SUITE.
        awk -v suite="$SUITE" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uri != "") { print uri; found = 1; exit }
                types = ""; suites = ""; uri = ""; enabled = ""
            }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            /^Types:/   { sub(/^Types:[[:space:]]*/, "");   types = $0 }
            /^Suites:/  { sub(/^Suites:[[:space:]]*/, "");  suites = $0 }
            /^URIs:/    { sub(/^URIs:[[:space:]]*/, "");    split($0, u, /[[:space:]]+/); uri = u[1] }
            /^Enabled:/ { sub(/^Enabled:[[:space:]]*/, ""); enabled = tolower($0) }
            END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        # one-line style: deb [options] URI suite components...
        awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                                              if ($(i + 1) == suite) { print $i; exit } }' "$f"
    done
}
MIRROR=$(mirror_from_apt | head -n1)
[[ -n "$MIRROR" ]] || fail "no apt source for suite '$SUITE' in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
end "$MIRROR"

# --- module: gpio-sim built out of tree against the guest kernel's headers -------------------
begin module
src_tar=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1)
[[ -n "$src_tar" ]] || fail "linux-source-6.1 is installed but /usr/src/linux-source-6.1.tar.* is missing"
mod_key=$( { echo "$KVER"; dpkg-query -W -f='${Version}\n' linux-source-6.1 "linux-headers-$KVER";
             gcc --version | head -n1; cat "$ROOT"/hardware/gpio-sim/*; } | hash_of)
MODULE="$CACHE/module/$mod_key/gpio-sim.ko"
if [[ $rebuild -eq 1 || ! -s $MODULE ]]; then
    rm -rf "$CACHE/module"; mkdir -p "$CACHE/module/$mod_key"
    make -s -C "$ROOT/hardware/gpio-sim" KVER="$KVER" LINUX_SOURCE="$src_tar" \
        BUILD="$CACHE/module/$mod_key/build" >"$CACHE/module/$mod_key/build.log" 2>&1 \
        || { tail -n 30 "$CACHE/module/$mod_key/build.log" >&2; fail "gpio-sim module build failed (log: $CACHE/module/$mod_key/build.log)"; }
    cp "$CACHE/module/$mod_key/build/gpio-sim.ko" "$MODULE"
    end "built $(basename "$MODULE") for $KVER"
else
    end "cached"
fi

# --- rootfs: debootstrap --variant=minbase --------------------------------------------------
begin rootfs
root_key=$( { echo "$SUITE $MIRROR $GUEST_PACKAGES"; dpkg-query -W -f='${Version}\n' debootstrap; } | hash_of)
ROOTFS="$CACHE/rootfs/$root_key"
if [[ $rebuild -eq 1 || ! -f $ROOTFS/.complete ]]; then
    rm -rf --one-file-system "$CACHE/rootfs"; mkdir -p "$ROOTFS"
    debootstrap --variant=minbase --include="$GUEST_PACKAGES" "$SUITE" "$ROOTFS/root" "$MIRROR" \
        >"$ROOTFS/debootstrap.log" 2>&1 \
        || { tail -n 20 "$ROOTFS/debootstrap.log" >&2; fail "debootstrap of $SUITE from $MIRROR failed (log: $ROOTFS/debootstrap.log)"; }
    rm -rf "$ROOTFS/root/var/cache/apt/archives/"*.deb "$ROOTFS/root/var/lib/apt/lists/"*_Packages
    touch "$ROOTFS/.complete"
    end "debootstrap $SUITE"
else
    end "cached"
fi

# --- image: root + kernel modules + gpio-sim + the rig's boot units, as one ext4 file -------
# and the initramfs (rig-init plus the modules needed to mount it).
begin image
img_key=$( { echo "$root_key $mod_key $KVER"; cat "$SYS"/image/*; } | hash_of)
IMAGE="$CACHE/image/$img_key.img"
INITRD="$CACHE/image/$img_key.initrd"
if [[ $rebuild -eq 1 || ! -s $IMAGE || ! -s $INITRD ]]; then
    rm -rf --one-file-system "$CACHE/image"; mkdir -p "$CACHE/image"
    stage="$CACHE/image/stage"
    cp -a "$ROOTFS/root" "$stage"
    # The guest kernel's modules, less the large trees a headless test VM never loads.
    mkdir -p "$stage/usr/lib/modules"
    tar -C /lib/modules -cf - \
        --exclude="$KVER/kernel/drivers/gpu" --exclude="$KVER/kernel/drivers/media" \
        --exclude="$KVER/kernel/drivers/net/wireless" --exclude="$KVER/kernel/drivers/net/ethernet" \
        --exclude="$KVER/kernel/drivers/infiniband" --exclude="$KVER/kernel/drivers/staging" \
        --exclude="$KVER/kernel/drivers/iio" --exclude="$KVER/kernel/drivers/bluetooth" \
        --exclude="$KVER/kernel/drivers/isdn" --exclude="$KVER/kernel/sound" \
        --exclude="$KVER/kernel/net/wireless" --exclude="$KVER/kernel/net/mac80211" \
        --exclude="$KVER/kernel/net/bluetooth" --exclude="$KVER/build" --exclude="$KVER/source" \
        "$KVER" | tar -C "$stage/usr/lib/modules" -xf -
    install -D -m 0644 "$MODULE" "$stage/usr/lib/modules/$KVER/updates/gpio-sim.ko"
    depmod -b "$stage" "$KVER" || fail "depmod for the guest failed"
    bash "$SYS/image/prepare-root.sh" "$stage" || fail "image/prepare-root.sh failed"
    ird="$stage.initrd"
    mkdir -p "$ird"/{dev,root,modules}
    mknod -m 600 "$ird/dev/console" c 5 1
    gcc -static -O2 -Wall -Wextra -Werror -o "$ird/init" "$SYS/image/rig-init.c" || fail "building rig-init failed"
    for m in virtio_pci virtio_blk crc32c_generic ext4; do
        modprobe -d "$stage" -S "$KVER" --show-depends "$m" || fail "modprobe --show-depends $m failed"
    done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | while read -r ko; do
        cp "$ko" "$ird/modules/"; echo "/modules/$(basename "$ko")" >>"$ird/modules.list"
    done
    (cd "$ird" && find . | cpio --quiet -o -H newc -R 0:0) >"$INITRD.tmp" || fail "cpio of the initramfs failed"
    rm -rf "$ird"
    truncate -s 2G "$IMAGE.tmp"
    mkfs.ext4 -q -F -L dosecab-root -d "$stage" "$IMAGE.tmp" || fail "mkfs.ext4 -d failed"
    mv "$IMAGE.tmp" "$IMAGE"; mv "$INITRD.tmp" "$INITRD"
    rm -rf --one-file-system "$stage"; stage=""
    end "built $(du -h --apparent-size "$IMAGE" | cut -f1) sparse, $(du -h "$IMAGE" | cut -f1) used"
else
    end "cached"
fi

# --- payload: the shared folder the guest mounts (player, scenarios, repository files) -------
begin payload
mkdir -p "$CACHE/runs"
run_dir="$CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$"
find "$CACHE/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n -4 | xargs -r rm -rf --one-file-system  # keep the last few
share="$run_dir/share"
mkdir -p "$share/bin" "$share/results/logs" "$share/payload"
gcc -static -O2 -Wall -Wextra -Werror -o "$share/bin/player" "$SYS/player/wiegand-player.c" \
    || fail "building the static Wiegand/line player failed"
cp -r "$SYS/guest" "$SYS/scenarios" "$share/"
if [[ -n "$only" ]]; then
    find "$share/scenarios" -name '*.sh' ! -name "$only" -delete
    [[ -n $(ls "$share/scenarios") ]] || fail "--only '$only' matches no scenario"
fi
pinmap_note=$(python3 "$SYS/pinmap-lines.py" "$ROOT/hardware/pinmap.toml" "$share/lines.conf") \
    || fail "could not read the line names from hardware/pinmap.toml"
[[ -n "$pinmap_note" ]] && say "$pinmap_note"

if ((build)); then
    begin build
    export PATH="/opt/swift/usr/bin:$PATH"
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --product dosecabd --product dosecabctl) \
        || fail "swift build -c release --static-swift-stdlib failed"
    end
    begin payload
fi
bin_dir="${DOSECAB_BIN_DIR:-$ROOT/.build/release}"
for b in dosecabd dosecabctl; do
    [[ -x $bin_dir/$b ]] || fail "$bin_dir/$b is missing: build it (make release, or run.sh --build) or set DOSECAB_BIN_DIR"
    # The guest has Debian's libraries only, no Swift runtime.
    if readelf -d "$bin_dir/$b" 2>/dev/null | grep -qE 'NEEDED.*lib(swift|Foundation|dispatch|BlocksRuntime)'; then
        fail "$bin_dir/$b needs the Swift runtime's shared libraries: build it with --static-swift-stdlib (run.sh --build)"
    fi
done
# The rig's clinic: a prescriber key of its own and a bundle signed as docs/prescriptions.md
# shows (openssl), for the guest to install in step 4. The daemon reads base64 raw keys.
clinic="$share/payload/clinic"
mkdir -p "$clinic"
openssl genpkey -algorithm ed25519 -out "$run_dir/rig-prescriber.key" 2>/dev/null || fail "openssl cannot make an Ed25519 key"
openssl pkey -in "$run_dir/rig-prescriber.key" -pubout -outform DER | tail -c 32 | base64 -w0 >"$clinic/rig-prescriber.pub"
# Clinic days in the guest's configured UTC offset may differ from UTC by a day: keep margins.
valid_from=$(date -u -d '-2 days' +%F) valid_until=$(date -u -d '+90 days' +%F)
old_from=$(date -u -d '-20 days' +%F) old_until=$(date -u -d '-5 days' +%F)
entries=()
sign() {  # PAYLOAD_JSON -> one bundle entry
    printf '%s' "$1" >"$run_dir/entry.json"
    openssl pkeyutl -sign -inkey "$run_dir/rig-prescriber.key" -rawin -in "$run_dir/entry.json" -out "$run_dir/entry.sig" \
        || fail "openssl pkeyutl -sign failed"
    entries+=("{\"key\": \"rig-prescriber\", \"payload\": \"$(base64 -w0 "$run_dir/entry.json")\", \"signature\": \"$(base64 -w0 "$run_dir/entry.sig")\"}")
}
rx() {  # ID PATIENT FROM UNTIL
    sign "{\"dose_mg\":200,\"drug\":\"diacetylmorphine\",\"id\":\"$1\",\"max_sessions_per_day\":3,\"patient\":\"$2\",\"prescriber\":\"rig-prescriber\",\"route\":\"injectable\",\"titrating\":false,\"type\":\"prescription\",\"valid_from\":\"$3\",\"valid_until\":\"$4\",\"version\":1}"
}
# P-0001..P-0008: 200 mg injectable, valid now (one patient per scenario that releases).
for i in 1 2 3 4 5 6 7 8; do rx "RX-000$i" "P-000$i" "$valid_from" "$valid_until"; done
rx RX-0009-OLD P-0009 "$old_from" "$old_until"                # expired
rx RX-0010 P-0010 "$valid_from" "$valid_until"                # then cancelled:
sign '{"id":"RX-0010","patient":"P-0010","prescriber":"rig-prescriber","reason":"rig: treatment ended","type":"cancellation","version":2}'
rm -f "$run_dir/entry.json" "$run_dir/entry.sig" "$run_dir/rig-prescriber.key"
(IFS=,; printf '{"entries": [%s]}\n' "${entries[*]}") >"$clinic/bundle.json"
end "$(ls "$share/scenarios" | wc -l) scenario files"

# --- package: the .deb a clinic installs, around these very binaries -------------------------
# debian/build-deb.sh as `make deb` runs it (docs/packaging.md), into the run folder, but
# without the -dbgsym package (DEB_BUILD_OPTIONS=noddebs) and with gzip -1 instead of xz
# (DPKG_DEB_COMPRESSOR_*: xz took longer than the rest of the build; gzip -1 gives 57 MB
# instead of 139 MB, which the guest reads over 9p and inflates for less than the 9p reads of
# the uncompressed package cost: busy 13.4 s against 16.1 s for the install, and the build is
# faster too); the manual generator in .build-deb/tools is reused. The guest installs it with `apt install ./dosecab_*.deb`
# (guest/install-dosecab.sh). When a scenario has the header `# rig: needs upgrade-package`,
# the same binaries are also packaged with a higher version, VERSION+systest1 (a changelog
# entry in the staging copy only), into payload/upgrade/, by a second build beside the first.
begin package
checkouts="${DOSECAB_CHECKOUTS_DIR:-$(dirname "$bin_dir")/checkouts}"
[[ -d $checkouts/swift-argument-parser ]] \
    || fail "$checkouts/swift-argument-parser is missing (the release build's checkouts; set DOSECAB_CHECKOUTS_DIR)"
export PATH="/opt/swift/usr/bin:$PATH"   # only to build the manual generator the first time
build_deb() {   # NAME [--version-suffix S]: builds into $run_dir/NAME, logs to $run_dir/NAME.log
    local name=$1; shift
    DEB_BUILD_OPTIONS="noddebs${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" DPKG_DEB_COMPRESSOR_TYPE=gzip DPKG_DEB_COMPRESSOR_LEVEL=1 \
        bash "$ROOT/debian/build-deb.sh" --out "$run_dir/$name" "$@" "$bin_dir" "$checkouts" >"$run_dir/$name.log" 2>&1
}
tool="$ROOT/.build-deb/tools/argparser-build/debug/generate-manual"
upgrade_pid=""
if grep -lq '^# rig: needs upgrade-package' "$share"/scenarios/*.sh; then
    # Beside the first build, unless the first must build the manual generator (both would).
    if [[ -x $tool ]]; then build_deb deb-upgrade --version-suffix +systest1 & upgrade_pid=$!; else upgrade_pid=later; fi
fi
build_deb deb || { tail -n 30 "$run_dir/deb.log" >&2; fail "debian/build-deb.sh failed (log: $run_dir/deb.log)"; }
debs=("$run_dir"/deb/dosecab_*.deb)
((${#debs[@]} == 1)) && [[ -f ${debs[0]} ]] || fail "debian/build-deb.sh left ${#debs[@]} dosecab_*.deb files in $run_dir/deb"
cp "${debs[0]}" "$share/payload/"
note="$(basename "${debs[0]}")"
if [[ -n $upgrade_pid ]]; then
    if [[ $upgrade_pid == later ]]; then build_deb deb-upgrade --version-suffix +systest1; else wait "$upgrade_pid"; fi \
        || { upgrade_pid=""; tail -n 30 "$run_dir/deb-upgrade.log" >&2; fail "debian/build-deb.sh --version-suffix +systest1 failed (log: $run_dir/deb-upgrade.log)"; }
    upgrade_pid=""
    mkdir -p "$share/payload/upgrade"
    cp "$run_dir"/deb-upgrade/dosecab_*+systest1_*.deb "$share/payload/upgrade/" || fail "no +systest1 package in $run_dir/deb-upgrade"
    note+=", $(basename "$share"/payload/upgrade/*.deb)"
fi
rm -rf "$run_dir/deb" "$run_dir/deb-upgrade"
end "$note"

# --- boot: qemu (TCG) with the run's copy of the image and the shared folder ----------------
begin boot
disk="$run_dir/disk.img"
cp --sparse=always "$IMAGE" "$disk"
serial="$run_dir/serial.log"
: >"$serial"
results="$share/results/results.txt"
# cache=unsafe: a scenario's "power cut" is a guest reset; what the guest wrote to its disk
# survives it as it would on a disk without a volatile cache, and runs are faster.
# -icount shift=0,sleep=off: the guest's clock advances by 1 ns per instruction run and
# jumps to the next timer whenever the guest is idle, so a host busy with other builds
# cannot open gaps in the guest's timeline (real-time TCG gave Wiegand pulses of up to
# 24 ms and bits 23 ms late under load; icount gives 80-83 us pulses and 2.000 ms bit
# periods by the guest kernel's timestamps), and guest `sleep`s cost no host time. The
# price: while the guest waits for its disk or the 9p folder the clock also jumps, so one
# I/O request looks like ~3-5 ms (a slow SD card). It needs one vCPU: with two, SMP
# bring-up alone took 400 s. The RTC follows the same clock (clock=vm), so after a guest
# reset the wall clock goes on from where it was instead of jumping back to the host's
# time: otherwise `journalctl -b -1` no longer finds the previous boot. The CPU model is
# qemu64 plus SSE4.2 rather than max: with max, glibc takes its AVX2 routines, which TCG
# runs through helper calls (about a fifth slower here).
icount=()
[[ $ICOUNT != off && $ICOUNT != 0 ]] && icount=(-icount "$ICOUNT")
qemu-system-x86_64 -machine q35,accel=tcg -cpu "$CPU" -smp "$SMP" -m "$MEM" "${icount[@]}" \
    -display none -nodefaults -no-user-config -monitor none -rtc base=utc,clock=vm \
    -kernel "$VMLINUZ" -initrd "$INITRD" \
    -append "root=/dev/vda rw console=ttyS0,115200 quiet loglevel=3 panic=-1 systemd.show_status=false" \
    -drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
    -virtfs "local,path=$share,mount_tag=rig,security_model=none,id=rig" \
    -device virtio-rng-pci \
    -serial "file:$serial" ${DOSECAB_SYSTEST_QEMU_ARGS:-} >"$run_dir/qemu.log" 2>&1 &
qemu_pid=$!
say "qemu pid $qemu_pid, serial console: $serial"
deadline=$(( $(date +%s) + TIMEOUT ))
shown=0 booted=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    if ((booted == 0)) && grep -q '^RIG: runner' "$serial" 2>/dev/null; then
        booted=1; end "guest reached the runner"; begin scenarios
    fi
    if [[ -f $results ]]; then
        n=$(wc -l <"$results")
        # Host seconds since the step began beside the guest's own figures: how much of the
        # run's wall time each scenario costs on this host.
        if ((n > shown)); then sed -n "$((shown + 1)),${n}p" "$results" | sed "s/^/  [host $(elapsed "$step_t0") s] /"; shown=$n; fi
    fi
    if (( $(date +%s) > deadline )); then
        ((booted)) || fail "the guest did not reach the test runner within ${TIMEOUT}s (serial: $serial)"
        cur=$(cat "$share/results/current" 2>/dev/null || echo "?")
        fail "the guest did not finish within ${TIMEOUT}s (last scenario started: $cur; serial: $serial)"
    fi
    sleep 0.5
done
wait "$qemu_pid" && qemu_rc=0 || qemu_rc=$?
qemu_pid=""
if ((booted == 0)); then
    if grep -q '^RIG: FATAL' "$serial"; then fail "$(grep -m1 '^RIG: FATAL' "$serial")"; fi
    if ((qemu_rc != 0)) && ! grep -q . "$serial"; then
        echo "system-test: FAILED: qemu cannot run on this machine: $(head -n1 "$run_dir/qemu.log")" >&2
        reported=1; exit 1
    fi
    fail "the guest never reached the test runner (qemu exit $qemu_rc; serial: $serial)"
fi
if [[ -f $results ]]; then
    n=$(wc -l <"$results"); ((n > shown)) && sed -n "$((shown + 1)),${n}p" "$results" | sed 's/^/  /'
fi

# --- results ----------------------------------------------------------------------------------
[[ -f $results ]] || fail "the guest wrote no results (serial: $serial)"
end
step=results
passed=$(grep -c '^PASS ' "$results" || true)
# Every scenario sent ends with one verdict line; one without (a scenario left waiting for a
# power cut that never came, a runner cut short) is a failure, never silently absent.
for f in "$share"/scenarios/*.sh; do
    name=$(basename "$f" .sh)
    grep -qE "^(PASS|FAIL|KNOWN|PENDING) $name[ :]" "$results" \
        || echo "FAIL $name: no verdict in the results (it did not finish)" >>"$results"
done
failed=$(grep -c '^FAIL ' "$results" || true)
pending=$(grep -c '^PENDING ' "$results" || true)
known=$(grep -c '^KNOWN ' "$results" || true)
if ! grep -q '^END' "$results"; then
    cur=$(cat "$share/results/current" 2>/dev/null || echo "?")
    fail "the guest stopped before the end of the run (last scenario started: $cur; serial: $serial)"
fi
if ((failed)); then
    while read -r _ name _; do
        name=${name%:}
        echo "----- $name (log: $share/results/logs/$name.log) -----" >&2
        tail -n 25 "$share/results/logs/$name.log" >&2 2>/dev/null || true
    done < <(grep '^FAIL ' "$results")
fi
if ((pending)); then
    say "pending, not run and not counted as passed: $(grep '^PENDING ' "$results" | awk '{ sub(":", "", $2); print $2 }' | paste -sd' ')"
fi
if ((known)); then
    say "known failures (bugs listed under \"Found\" in docs/system-tests.md), not counted as passed:"
    grep '^KNOWN ' "$results" | sed 's/^/  /'
fi
say "total $(elapsed "$run_t0") s; results: $results"
# The closing line, in the one format CI reads in any language; "skipped" = pending stubs.
echo "system-test: $passed passed, $failed failed, $pending skipped, $known known-failing"
if ((failed)); then
    step="scenario $(grep -m1 '^FAIL ' "$results" | awk '{ sub(":", "", $2); print $2 }')"
    fail "$failed scenario(s) failed: $(grep '^FAIL ' "$results" | awk '{ sub(":", "", $2); print $2 }' | paste -sd' ')"
fi
((passed > 0)) || fail "no scenario passed"
if ((known)) && [[ ${DOSECAB_SYSTEST_STRICT:-0} == 1 ]]; then
    step="results"; fail "$known known failure(s) and DOSECAB_SYSTEST_STRICT=1"
fi
