#!/bin/sh
# make install / make uninstall into a temporary DESTDIR: exactly the three files, the installed
# command runs, its man page renders with `man -l` and names every option of `k2onnx --help`,
# and uninstall removes what install put there. Ends with "N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/k2onnx-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/root
mkdir "$dest"

if make -s install DESTDIR="$dest" PREFIX=/usr > "$work/install.log" 2>&1; then ok "make install"; else bad "make install: $(cat "$work/install.log")"; fi
files=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
want="./usr/bin/k2onnx ./usr/include/k2onnx.h ./usr/share/man/man1/k2onnx.1 "
[ "$files" = "$want" ] && ok "installs exactly: $want" || bad "installed files: $files (want $want)"
[ -x "$dest/usr/bin/k2onnx" ] && "$dest/usr/bin/k2onnx" --version | grep -q '^k2onnx ' && ok "installed command runs" || bad "installed command does not run"
cmp -s k2onnx.h "$dest/usr/include/k2onnx.h" && ok "installed header is k2onnx.h" || bad "installed header differs"

if command -v man > /dev/null 2>&1; then
    page=$(MANWIDTH=100 man -l "$dest/usr/share/man/man1/k2onnx.1" 2> "$work/man.err")
    if [ -n "$page" ] && [ ! -s "$work/man.err" ]; then ok "man -l renders the page without warnings"; else bad "man -l: $(cat "$work/man.err")"; fi
    absent=
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
        echo "$page" | grep -q "^$section" || absent="$absent '$section'"
    done
    [ -z "$absent" ] && ok "man page has every section" || bad "man page lacks the sections$absent"
    missing=
    for opt in $(./k2onnx --help | grep -o -e ' --[a-z][a-z-]*' -e ' -[a-z],' | tr -d ' ,' | sort -u); do
        echo "$page" | grep -q -- "$opt" || missing="$missing $opt"
    done
    [ -z "$missing" ] && ok "man page documents every option of --help" || bad "man page lacks:$missing"
else
    bad "man is not installed (make deps installs man-db)"
fi

if make -s uninstall DESTDIR="$dest" PREFIX=/usr > /dev/null 2>&1 && [ -z "$(find "$dest" -type f)" ]; then
    ok "make uninstall removes the three files"
else
    bad "make uninstall left: $(find "$dest" -type f | tr '\n' ' ')"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
