#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package as `cpack -G DEB` makes it from a build: named modrace_<version>_<arch>.deb;
# its control data (Depends carries modrace-vm's own needs); its files (the static binary, the
# runner with its support files under /usr/share/modrace, /usr/bin/modrace-vm a link to it, man
# pages, completion, docs); and, unpacked into a directory, the programs work from there: modrace
# --version, man renders modrace(1), modrace-vm finds its support files beside itself
# (--check-config reads the installed kernel-needs.config, --print-kdir unpacks Debian's headers).
set -uo pipefail
BUILD=${1:?usage: check.sh BUILD VERSION}
VERSION=${2:?usage: check.sh BUILD VERSION}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# The man pages are part of `all`; tests/run builds only the modrace target.
cmake --build "$BUILD" --target man > "$tmp/man.log" 2>&1 || fail "building the man pages: $(tail -3 "$tmp/man.log")"
if (cd "$BUILD" && cpack -G DEB -B "$tmp/out") > "$tmp/cpack.log" 2>&1; then
	pass "cpack -G DEB"
else
	fail "cpack -G DEB failed: $(tail -5 "$tmp/cpack.log")"
	exit 1
fi
deb="$tmp/out/modrace_${VERSION}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] && pass "$(basename "$deb") ($(stat -c %s "$deb") bytes)" \
	|| { fail "no $(basename "$deb"); made: $(ls "$tmp/out")"; exit 1; }

info=$(dpkg-deb -f "$deb" Package Version Depends)
for want in "Package: modrace" "Version: $VERSION" "qemu-system-x86" "busybox-static" "cpio" "kmod"; do
	grep -q "$want" <<< "$info" && pass "control: $want" || fail "control lacks '$want': $info"
done

listing=$(dpkg-deb -c "$deb")
for f in usr/bin/modrace usr/share/modrace/vm-images/modrace-vm usr/share/modrace/vm-images/lib/image.sh \
	usr/share/modrace/vm-images/lib/hang-report.py usr/share/modrace/vm-images/guest/init \
	usr/share/modrace/vm-images/kernel-needs.config usr/share/modrace/vm-images/flavors/dev-lockdep.config \
	usr/share/man/man1/modrace.1 usr/share/man/man1/modrace-vm.1 usr/share/man/man1/modrace-report.1 \
	usr/share/bash-completion/completions/modrace usr/share/bash-completion/completions/modrace-vm \
	usr/share/doc/modrace/README.md usr/share/doc/modrace/usage.md usr/share/doc/modrace/ci/run-modrace.sh; do
	grep -qE " \./$f(\.gz)?( |$)" <<< "$listing" && pass "holds /$f" || fail "lacks /$f"
done
grep -qE "\./usr/bin/modrace-vm -> \.\./share/modrace/vm-images/modrace-vm$" <<< "$listing" \
	&& pass "/usr/bin/modrace-vm links to the runner" || fail "/usr/bin/modrace-vm is not the link"
grep -qE "^-rwxr-xr-x .* \./usr/share/modrace/vm-images/modrace-vm$" <<< "$listing" \
	&& pass "the runner is executable" || fail "the runner is not executable"

root="$tmp/root"
dpkg-deb -x "$deb" "$root"
file "$root/usr/bin/modrace" | grep -q "statically linked" && pass "modrace is static" || fail "modrace is not static"
v=$("$root/usr/bin/modrace" --version 2>&1) && grep -q "$VERSION" <<< "$v" \
	&& pass "modrace --version: $v" || fail "modrace --version: $v"
page=$(ls "$root"/usr/share/man/man1/modrace.1*)
MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "^NAME" && pass "man -l renders modrace(1)" || fail "modrace(1) does not render"
# The unpacked runner, started through its /usr/bin link, reads its files under usr/share.
mkdir -p "$tmp/tree"
printf 'CONFIG_MODULES=y\n' > "$tmp/tree/.config"
st=0
"$root/usr/bin/modrace-vm" --kernel-tree "$tmp/tree" --check-config > "$tmp/check.out" 2> "$tmp/check.err" || st=$?
[ "$st" = 1 ] && grep -q "^CONFIG_KPROBES=y$" "$tmp/check.out" \
	&& grep -q "$root/usr/share/modrace/vm-images/kernel-needs.config" "$tmp/check.err" \
	&& pass "modrace-vm --check-config reads the packaged kernel-needs.config" \
	|| fail "modrace-vm --check-config: exit $st, $(cat "$tmp/check.err")"
kdir=$("$root/usr/bin/modrace-vm" --print-kdir 2> "$tmp/kdir.err")
[ -f "$kdir/Makefile" ] && pass "modrace-vm --print-kdir: $kdir" || fail "modrace-vm --print-kdir: '$kdir' $(cat "$tmp/kdir.err")"
if [ "$failures" -gt 0 ]; then echo "package_deb: $failures check(s) failed"; exit 1; fi
echo "package_deb: all checks passed"
