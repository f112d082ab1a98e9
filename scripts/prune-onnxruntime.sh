#!/usr/bin/env bash
# Removes onnxruntime-node's prebuilt binaries for other platforms from a production node_modules
# (the npm package ships darwin, win32 and linux for x64 and arm64: ~290 MB, ~45 MB of which we use).
# Usage: scripts/prune-onnxruntime.sh <node_modules dir> [arch]
#   arch: x64 | arm64, or Docker's TARGETARCH spelling amd64 | arm64; default: this node's arch.
set -euo pipefail
modules=${1:?usage: prune-onnxruntime.sh <node_modules dir> [arch]}
arch=${2:-$(node -p process.arch)}
case "$arch" in
  amd64 | x64) arch=x64 ;;
  arm64 | aarch64) arch=arm64 ;;
  *) echo "prune-onnxruntime: unsupported arch '$arch' (expected x64/amd64 or arm64)" >&2; exit 2 ;;
esac
bin="$modules/onnxruntime-node/bin"
if [ ! -d "$bin" ]; then
  echo "prune-onnxruntime: $bin not found (is onnxruntime-node installed?)" >&2
  exit 2
fi
kept=0
for napi in "$bin"/napi-v*; do
  for platform in "$napi"/*; do
    if [ "$(basename "$platform")" != linux ]; then rm -rf "$platform"; continue; fi
    for a in "$platform"/*; do
      if [ "$(basename "$a")" = "$arch" ]; then kept=1; else rm -rf "$a"; fi
    done
  done
done
if [ "$kept" != 1 ]; then
  echo "prune-onnxruntime: no linux/$arch binary in $bin; onnxruntime-node cannot load here" >&2
  exit 1
fi
echo "prune-onnxruntime: kept linux/$arch only"
