#!/bin/sh
# Regenerate the golden tensors of internal/nn (internal/nn/testdata/golden) with the
# TensorFlow.js reference runner (tfjs-reference, CPU backend).
#
#   scripts/gen-golden.sh [TOOL_DIR]
#
# TOOL_DIR defaults to ../shared/tools/tfjs-reference. It is copied to a temporary
# folder (so a read-only checkout works), set up with `npm ci`, and pointed at the
# models fetched by scripts/fetch-models.sh (${ZHENG_MODELS:-./models}).
# Inputs are the tool's deterministic --synthetic images, so no image files are needed:
#
#   a: all models, synthetic 128x128 image; rvm at 128x128, downsample 0.5, 2 recurrent frames
#   b: all models, synthetic 192x160 image; rvm at 192x160, downsample 0.25
#   c: rvm only, synthetic 96x96, downsample 1 (the graph's other control-flow branch)
#
# Every .f32 is stored gzipped (.f32.gz); the JSON sidecars and manifests as written.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOL=${1:-../shared/tools/tfjs-reference}
MODELS=${ZHENG_MODELS:-./models}
MODELS=$(cd "$MODELS" && pwd)
OUT=$ROOT/internal/nn/testdata/golden

[ -f "$MODELS/rvm.json" ] || { echo "gen-golden: models missing; run scripts/fetch-models.sh" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
cp -r "$TOOL" "$WORK/tool"
chmod -R u+w "$WORK/tool"
cd "$WORK/tool"
npm ci --silent
ref() { # set args...
	set_name=$1
	shift
	node reference.mjs --models "$MODELS" --out "$WORK/out/$set_name" "$@"
}
ref a --model all --synthetic 128x128 --size 128x128 --downsample 0.5 --frames 2
ref b --model all --synthetic 192x160 --size 192x160 --downsample 0.25
ref c --model rvm --synthetic 96x96 --size 96x96 --downsample 1

rm -rf "$OUT"
for set in a b c; do
	mkdir -p "$OUT/$set"
	cp "$WORK/out/$set"/*.json "$OUT/$set/"
	for f in "$WORK/out/$set"/*.f32; do
		gzip -9 -n -c "$f" >"$OUT/$set/$(basename "$f").gz"
	done
done
echo "gen-golden: wrote $OUT"
