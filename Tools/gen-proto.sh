#!/usr/bin/env bash
# Regenerates the checked-in Swift protobuf code for the wire formats of
# `strata serve` (Prometheus remote write/read v1 + remote write v2, Loki push,
# OTLP traces).
#
#   Input:  Sources/StrataWire/Protos/**.proto   (vendored upstream protos; each
#           file's header names its upstream repo, path, tag/commit and edits)
#   Output: Sources/StrataWire/Generated/*.pb.swift
#
# Run BY HAND only, after changing a .proto file, and commit the result. CI
# never runs this script: it compiles the checked-in Generated/ sources against
# the SwiftProtobuf runtime, so it needs neither protoc nor protoc-gen-swift.
#
# Requirements:
#   - protoc (Debian: `apt-get install -y protobuf-compiler`; this also puts the
#     well-known types such as google/protobuf/timestamp.proto in /usr/include)
#   - protoc-gen-swift from swift-protobuf 1.39.0, the same version as the
#     SwiftProtobuf runtime the package depends on. If the plugin is missing it
#     is built from the local package mirror (takes ~10 minutes on 2 cores).
#
# Environment overrides:
#   SWIFT_PROTOBUF_SRC       checkout of swift-protobuf (default /tmp/swift-protobuf)
#   SWIFT_PROTOBUF_MIRROR    git URL/path to clone it from
#                            (default /opt/swift-packages/apple/swift-protobuf.git)
#   SWIFT_PROTOBUF_VERSION   tag to build (default 1.39.0)
#   PROTOC_INCLUDE           dir holding google/protobuf/*.proto (default /usr/include)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROTO_DIR="$ROOT/Sources/StrataWire/Protos"
OUT_DIR="$ROOT/Sources/StrataWire/Generated"

SWIFT_PROTOBUF_VERSION="${SWIFT_PROTOBUF_VERSION:-1.39.0}"
SWIFT_PROTOBUF_SRC="${SWIFT_PROTOBUF_SRC:-/tmp/swift-protobuf}"
SWIFT_PROTOBUF_MIRROR="${SWIFT_PROTOBUF_MIRROR:-/opt/swift-packages/apple/swift-protobuf.git}"
PROTOC_INCLUDE="${PROTOC_INCLUDE:-/usr/include}"
PLUGIN="$SWIFT_PROTOBUF_SRC/.build/release/protoc-gen-swift"

command -v protoc >/dev/null || {
    echo "gen-proto: protoc not found; install it with: apt-get install -y protobuf-compiler" >&2
    exit 1
}
[[ -f "$PROTOC_INCLUDE/google/protobuf/timestamp.proto" ]] || {
    echo "gen-proto: $PROTOC_INCLUDE/google/protobuf/timestamp.proto not found (set PROTOC_INCLUDE)" >&2
    exit 1
}

# (Re)build the plugin if it is missing or built from another version.
if [[ ! -x "$PLUGIN" ]] || [[ "$("$PLUGIN" --version 2>/dev/null)" != *"$SWIFT_PROTOBUF_VERSION"* ]]; then
    echo "gen-proto: building protoc-gen-swift $SWIFT_PROTOBUF_VERSION in $SWIFT_PROTOBUF_SRC (~10 min)" >&2
    if [[ ! -d "$SWIFT_PROTOBUF_SRC/.git" ]]; then
        git clone "$SWIFT_PROTOBUF_MIRROR" "$SWIFT_PROTOBUF_SRC"
    fi
    git -C "$SWIFT_PROTOBUF_SRC" checkout --quiet "$SWIFT_PROTOBUF_VERSION"
    (cd "$SWIFT_PROTOBUF_SRC" && swift build -c release --product protoc-gen-swift)
fi
echo "gen-proto: using $("$PLUGIN" --version) and $(protoc --version)" >&2

# Proto paths relative to PROTO_DIR. They double as the import paths and, via
# FileNaming=PathToUnderscores, decide the output names
# (e.g. prompb/remote.proto -> prompb_remote.pb.swift).
PROTOS=(
    prompb/types.proto
    prompb/remote.proto
    prompb/io/prometheus/write/v2/types.proto
    pkg/push/push.proto
    opentelemetry/proto/common/v1/common.proto
    opentelemetry/proto/resource/v1/resource.proto
    opentelemetry/proto/trace/v1/trace.proto
    opentelemetry/proto/collector/trace/v1/trace_service.proto
)

# Drop old generated files first so that a removed .proto leaves no stale file.
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.pb.swift

cd "$PROTO_DIR"
# The exact generation command (the plugin binary is named protoc-gen-swift,
# which is what makes protoc use it for --swift_out). Visibility=Public: StrataWire is a library used
# by other targets. google/protobuf/timestamp.proto (Loki) comes from the
# SwiftProtobuf runtime (Google_Protobuf_Timestamp), so it is only included
# with -I, never generated here.
protoc \
    --plugin="$PLUGIN" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=PathToUnderscores \
    --swift_out="$OUT_DIR" \
    -I "$PROTO_DIR" \
    -I "$PROTOC_INCLUDE" \
    "${PROTOS[@]}"

echo "gen-proto: wrote $(ls "$OUT_DIR" | wc -l) files to ${OUT_DIR#"$ROOT"/}" >&2
