#!/usr/bin/env bash
# `make package-test` (issue 26, point 6; issue 23, point 1): the kiosk's and the platform's
# Debian packages installed into a clean Debian 12 root as the README and docs/admin-guide.md
# say, then used there (the platform's in step 7: its account, modes, unit, init, doctor, and
# the unit's command run as the unit's user until /readyz answers).
#
#  1. packs the debug build (`cargo deb --no-build --profile dev`, as tests/tests/package.rs)
#     and runs lintian on it (overrides: src-tauri/packaging/lintian-overrides, each explained);
#  2. makes a clean Debian 12 root with debootstrap (minbase; the downloaded base system and
#     the root debootstrap made from it are cached in target/package-test/, a fresh copy is
#     unpacked on every run), with the host's Debian sources (the README's "Debian 12" PC);
#  3. in that root, as root: `apt-get install ./guichet.deb` (apt resolves the declared
#     dependencies from the Debian archive: WebKitGTK, GTK, python3-xdg…), an account
#     `kiosque`, `/var/lib/guichet` made as the README says, `platform_url` and `data_dir` set
#     in /etc/guichet/kiosk.toml;
#  4. as `kiosque` in that root: `guichet enroll` against a demo platform on loopback (the
#     platform binary of the build, run outside the root), `guichet sync`, `guichet doctor`
#     (no problem), `guichet ledger verify`, the data directory's modes (700, files 600), then
#     the window under Xvfb: its "ui ready" line and a screenshot
#     (target/package-test/window.png), checked to be a drawn page, not a blank screen.
#
# The root runs under bubblewrap (its own /proc, /dev, /tmp; the host's network, so loopback
# reaches the platform and the X server). Needs root (debootstrap, apt and the account in the
# root). A missing tool fails the test unless GUICHET_ALLOW_SKIP=1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/package-test
root=$work/root
archives=$work/archives
cargo=${CARGO:-cargo}
started=$(date +%s)

step() { printf 'package-test: [%3ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() {
    echo "package-test: FAILED: $*" >&2
    exit 1
}

# --- tools -------------------------------------------------------------------------------
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (debootstrap, apt and useradd in the root)")
for tool in debootstrap bwrap dpkg-deb lintian Xvfb import convert; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
cargo_deb=$(command -v cargo-deb || echo "$HOME/.cargo/bin/cargo-deb")
[ -x "$cargo_deb" ] || missing+=("cargo-deb")
if [ ${#missing[@]} -gt 0 ]; then
    why="missing: ${missing[*]} (\`make setup\` installs the tools)"
    if [ "${GUICHET_ALLOW_SKIP:-}" = 1 ]; then
        echo "package-test: SKIPPED (GUICHET_ALLOW_SKIP=1): $why"
        exit 0
    fi
    fail "$why; set GUICHET_ALLOW_SKIP=1 to skip"
fi

# The Debian archive the root installs from: the host's (a PC of the README is set up the
# same way). GUICHET_DEBIAN_MIRROR overrides the mirror debootstrap uses.
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || fail "$sources not found: the host's Debian sources (deb822) name the archive"
mirror=${GUICHET_DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' "$sources")}
[ -n "$mirror" ] || fail "no URIs: line in $sources"

# Everything started here is stopped on exit, whatever happens.
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$work" "$archives"

# --- 1. the package ------------------------------------------------------------------------
# The same build as `make test`'s (the same features, so nothing is built twice there).
step "building the binaries (debug)"
(cd "$repo" && $cargo build -q --workspace --bins)
deb=$work/guichet.deb
step "packing $deb"
(cd "$repo" && "$cargo_deb" deb -p guichet --no-build --profile dev --fast -o "$deb" >/dev/null)
step "lintian"
lintian --fail-on error,warning "$deb" ||
    fail "lintian: see above (an override needs its reason in src-tauri/packaging/lintian-overrides)"
platform_deb=$work/guichet-platform.deb
step "packing $platform_deb, lintian"
(cd "$repo" && "$cargo_deb" deb -p guichet-platform --no-build --profile dev --fast -o "$platform_deb" >/dev/null 2>&1) ||
    fail "cargo deb -p guichet-platform"
lintian --fail-on error,warning "$platform_deb" ||
    fail "lintian: see above (an override needs its reason in crates/guichet-platform/packaging/lintian-overrides)"

# --- 2. a clean Debian 12 root ----------------------------------------------------------------
base=$work/bookworm-minbase.tgz
if [ ! -s "$base" ]; then
    step "debootstrap: downloading the base system once ($base)"
    rm -rf "$work/download"
    debootstrap --variant=minbase --make-tarball="$base.part" bookworm "$work/download" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || fail "debootstrap --make-tarball: $work/debootstrap.log"
    mv "$base.part" "$base"
fi
# The root debootstrap makes from it, kept as a tar (its second stage configures every
# package: about 20 s on an idle machine, 90 s on a loaded one); each run unpacks a fresh copy.
made=$work/bookworm-root.tar
if [ ! -s "$made" ] || [ "$made" -ot "$base" ]; then
    step "debootstrap: making the base root once ($made)"
    rm -rf "$root"
    debootstrap --variant=minbase --unpack-tarball="$base" bookworm "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || fail "debootstrap: $work/debootstrap.log"
    rm -f "$root/etc/apt/sources.list" "$root/var/cache/apt/archives/"*.deb
    cp "$sources" "$root/etc/apt/sources.list.d/debian.sources"
    tar -C "$root" -cf "$made.part" . && mv "$made.part" "$made"
fi
step "a fresh Debian 12 root in $root"
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$made"

# Runs a command in the root: its own /proc, /dev, /tmp and pid namespace, the host's network
# and X sockets, apt's downloads cached in target/package-test/archives.
in_root() {
    bwrap --bind "$root" / --proc /proc --dev /dev \
        --perms 1777 --tmpfs /dev/shm --perms 1777 --tmpfs /tmp \
        --ro-bind-try /tmp/.X11-unix /tmp/.X11-unix \
        --bind "$archives" /var/cache/apt/archives \
        --cap-add ALL --unshare-pid --unshare-ipc --die-with-parent --clearenv \
        --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --setenv LANG C.UTF-8 --setenv DEBIAN_FRONTEND noninteractive \
        -- "$@"
}
# Runs a command in the root as the counter's account.
as_kiosque() {
    in_root runuser -u kiosque -- env HOME=/home/kiosque USER=kiosque "$@"
}

# --- 3. the README's installation, as root ------------------------------------------------------
step "apt-get update in the root"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || fail "apt-get update: $work/apt.log"
cp "$deb" "$root/root/guichet.deb"
step "apt-get install ./guichet.deb in the root"
# --force-unsafe-io: dpkg skips its fsyncs in this throwaway root (the same files, written faster).
in_root apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io \
    /root/guichet.deb >>"$work/apt.log" 2>&1 ||
    fail "apt-get install ./guichet.deb: $work/apt.log"
for dependency in libwebkit2gtk-4.1-0 libgtk-3-0 python3-xdg ca-certificates; do
    in_root dpkg-query -W -f='${db:Status-Status}\n' "$dependency" | grep -qx installed ||
        fail "$dependency was not installed with the package"
done
version=$(dpkg-deb -f "$deb" Version)
in_root guichet --version | grep -qx "guichet ${version%-*}" || fail "guichet --version in the root"

in_root useradd --create-home --shell /bin/bash kiosque
# The README: "sudo install -d -o kiosque -g kiosque -m 0700 /var/lib/guichet".
in_root install -d -o kiosque -g kiosque -m 0700 /var/lib/guichet

# --- 4. a platform on loopback, outside the root ------------------------------------------------
step "demo platform on loopback"
rm -rf "$work/platform" "$work/platform-signer"
"$target/debug/guichet-platform" --data-dir "$work/platform" demo >"$work/platform.log" 2>&1 &
platform=$!
pids+=("$platform")
for _ in $(seq 300); do
    grep -q "listening on" "$work/platform.log" && break
    kill -0 "$platform" 2>/dev/null || break
    sleep 0.2
done
url=$(sed -n 's/^guichet-platform listening on \([^ ]*\).*/\1/p' "$work/platform.log")
code=$(sed -n 's/^enroll code: //p' "$work/platform.log")
fingerprint=$(sed -n 's/^root fingerprint: //p' "$work/platform.log")
[ -n "$url" ] && [ -n "$code" ] && [ -n "$fingerprint" ] ||
    fail "the demo platform did not start: $(cat "$work/platform.log")"

# The shipped configuration, with the README's two keys uncommented.
conf=$root/etc/guichet/kiosk.toml
sed -i -e "s|^#platform_url = .*|platform_url = \"$url\"|" \
    -e 's|^#data_dir = .*|data_dir = "/var/lib/guichet"|' "$conf"
grep -qx "platform_url = \"$url\"" "$conf" && grep -qx 'data_dir = "/var/lib/guichet"' "$conf" ||
    fail "the shipped kiosk.toml no longer has the commented platform_url and data_dir lines"

# --- 5. the README's first steps, as the counter's account ------------------------------------------
step "guichet enroll (platform from platform_url), sync, doctor"
printf '246810\n' >"$root/home/kiosque/admin-pin"
in_root chown kiosque:kiosque /home/kiosque/admin-pin
as_kiosque guichet enroll --code "$code" --fingerprint "$fingerprint" --label clean-root \
    --admin-pin-file /home/kiosque/admin-pin >"$work/enroll.log" 2>&1 ||
    fail "guichet enroll: $(cat "$work/enroll.log")"
grep -q "enrolled: device" "$work/enroll.log" || fail "guichet enroll said: $(cat "$work/enroll.log")"
as_kiosque guichet sync >"$work/sync.log" 2>&1 || fail "guichet sync: $(cat "$work/sync.log")"
as_kiosque guichet ledger verify >"$work/ledger.log" 2>&1 ||
    fail "guichet ledger verify: $(cat "$work/ledger.log")"
grep -q '^OK' "$work/ledger.log" || fail "guichet ledger verify said: $(cat "$work/ledger.log")"
status=0
as_kiosque guichet doctor --lang en >"$work/doctor.log" 2>&1 || status=$?
cat "$work/doctor.log"
[ "$status" = 0 ] || fail "guichet doctor exited $status in the clean root"

# What doctor claims: the data directory 700, every file in it 600, owned by the account.
wrong=$(in_root find /var/lib/guichet \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \) -o ! -user kiosque)
[ -z "$wrong" ] || fail "files in /var/lib/guichet not as doctor says (dirs 700, files 600, kiosque's): $wrong"

# --- 6. the window, under Xvfb --------------------------------------------------------------
step "the window under Xvfb"
display=
for n in $(seq 90 120); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=:$n && break; }
done
[ -n "$display" ] || fail "no free X display number in :90-:120"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    [ -e "/tmp/.X11-unix/X${display#:}" ] && break
    sleep 0.1
done
[ -e "/tmp/.X11-unix/X${display#:}" ] || fail "Xvfb did not start: $work/xvfb.log"
as_kiosque env DISPLAY="$display" guichet >"$work/window.log" 2>"$work/window.err" &
pids+=($!)
for _ in $(seq 600); do
    grep -q "guichet: ui ready" "$work/window.log" && break
    sleep 0.1
done
grep -q "guichet: ui ready" "$work/window.log" ||
    fail "the window did not load its page in 60 s: $(tail -20 "$work/window.err")"
# The page paints its first screen right after "ui ready"; give it that frame.
sleep 2
import -display "$display" -window root "$work/window.png"
colours=$(convert "$work/window.png" -format %k info:)
[ "$colours" -gt 50 ] || fail "the screenshot $work/window.png has $colours colours: nothing drawn"

# --- 7. the platform's package, as docs/admin-guide.md installs it ---------------------------
step "apt-get install ./guichet-platform.deb in the root"
cp "$platform_deb" "$root/root/guichet-platform.deb"
in_root apt-get install -y -q --no-install-recommends /root/guichet-platform.deb >>"$work/apt.log" 2>&1 ||
    fail "apt-get install ./guichet-platform.deb: $work/apt.log"
in_root getent passwd guichet-platform >/dev/null || fail "no account guichet-platform"
[ "$(in_root stat -c '%a %U' /var/lib/guichet-platform)" = "700 guichet-platform" ] ||
    fail "/var/lib/guichet-platform is $(in_root stat -c '%a %U' /var/lib/guichet-platform), not 700 guichet-platform"
[ "$(in_root stat -c '%a %U %G' /etc/guichet-platform/platform.toml)" = "640 root guichet-platform" ] ||
    fail "platform.toml is $(in_root stat -c '%a %U %G' /etc/guichet-platform/platform.toml)"
unit=$root/usr/lib/systemd/system/guichet-platform.service
[ -f "$unit" ] || fail "no systemd unit in the package"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify --root="$root" guichet-platform.service >"$work/unit.log" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$work/unit.log")"
fi
# The port the service listens on (the shipped file's listen line, on a free port here).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s|^listen = .*|listen = \"127.0.0.1:$port\"|" "$root/etc/guichet-platform/platform.toml"
grep -qx "listen = \"127.0.0.1:$port\"" "$root/etc/guichet-platform/platform.toml" ||
    fail "the shipped platform.toml has no listen line"

step "the platform initialised as the guide says, doctor as the service's account"
C="guichet-platform --config /etc/guichet-platform/platform.toml"
cp "$work/platform/bundle.json" "$root/root/liste-signee.json"
in_root $C init --root-public-key "$(head -1 "$work/platform/platform-root-public-key.txt")" >"$work/platform-init.log" 2>&1 ||
    fail "init: $(cat "$work/platform-init.log")"
[ "$(in_root stat -c '%U' /etc/guichet-platform/root-public-key.txt)" = root ] ||
    fail "the root's public half is not root's"
printf '%s\n' "un mot de passe assez long" |
    in_root $C account create --role admin --name ines >>"$work/platform-init.log" 2>&1 ||
    fail "account create: $(cat "$work/platform-init.log")"
in_root $C bundle import /root/liste-signee.json --by ines >>"$work/platform-init.log" 2>&1 ||
    fail "bundle import: $(cat "$work/platform-init.log")"
in_root chown -R guichet-platform: /var/lib/guichet-platform
status=0
in_root runuser -u guichet-platform -- $C doctor >"$work/platform-doctor.log" 2>&1 || status=$?
cat "$work/platform-doctor.log"
[ "$status" = 0 ] || fail "guichet-platform doctor exited $status in the clean root"

step "the service's command, as its account (systemd-like: the unit's User= and ExecStart=)"
user=$(sed -n 's/^User=//p' "$unit")
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$user" = guichet-platform ] && [ -n "$exec_start" ] || fail "the unit has no User= or ExecStart="
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it (no quotes in it)
in_root runuser -u "$user" -- $exec_start >"$work/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    grep -q "listening on" "$work/service.log" && break
    sleep 0.1
done
grep -q "listening on http://127.0.0.1:$port" "$work/service.log" ||
    fail "the service did not listen on $port: $(cat "$work/service.log")"
ready=$(curl -s -o "$work/readyz.json" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$ready" = 200 ] || fail "/readyz answered $ready: $(cat "$work/readyz.json")"
grep -q '"bundle":\[1,' "$work/readyz.json" || fail "/readyz has no bundle 1: $(cat "$work/readyz.json")"

step "passed: kiosk and platform installed with apt in a clean Debian 12 root; kiosk enrolled, synced, doctor clean, window drawn ($work/window.png, $colours colours); platform initialised, doctor clean, served by its account, ready"
