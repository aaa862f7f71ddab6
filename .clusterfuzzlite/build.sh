#!/bin/bash -eu
# Builds upcheck's native Go fuzz targets as libFuzzer binaries in $OUT, for
# ClusterFuzzLite or OSS-Fuzz, with a seed corpus for each byte-driven one.
#
# compile_native_go_fuzzer (or its _v2) compiles the file that declares a
# target as ordinary code, with a testing shim (github.com/AdamKorcz/
# go-118-fuzz-build/testing) in place of package testing, and finds the file
# by grepping the package directory for the target's name. So each target's
# name appears in one file only, and the targets use no more of package
# testing than F.Fuzz and T.Skip (fuzz/fuzz_test.go explains; the test
# TestClusterFuzzLiteBuild in ./fuzz checks this file against the targets).
# Those builds also ignore F.Add: the seed corpora are the files under
# testdata/fuzz, converted to the libFuzzer input format when the image has
# the converter.
#
# The network targets start the reference servers in process on 127.0.0.1
# (no UPCHECK_* settings in those builds), once per fuzzer process.

cd "$SRC/upcheck"

# Cases saved by local runs would be grepped too; they are not sources.
rm -rf fuzz/testdata/failures fuzz/testdata/rapid

# The shim the rewritten targets import.
go get github.com/AdamKorcz/go-118-fuzz-build/testing

compile=compile_native_go_fuzzer
if command -v compile_native_go_fuzzer_v2 >/dev/null 2>&1; then
  compile=compile_native_go_fuzzer_v2
fi

# seed_corpus FUZZER DIR: $OUT/FUZZER_seed_corpus.zip from the go test
# corpus files in DIR.
seed_corpus() {
  if command -v addStdLibCorpusToFuzzer >/dev/null 2>&1; then
    addStdLibCorpusToFuzzer -dir "$2" -fuzzer_name "$1"
  else
    # No converter: the files as they are, a start for the mutator.
    zip -jq "$OUT/$1_seed_corpus.zip" "$2"/*
  fi
}

# build PACKAGE FUNCTION FUZZER [CORPUS_DIR]
build() {
  "$compile" "github.com/upcheck/upcheck/$1" "$2" "$3"
  if [ -n "${4:-}" ]; then
    seed_corpus "$3" "$4"
    # Inputs up to the largest seed (a 65507-byte datagram) and a little.
    printf '[libfuzzer]\nmax_len = 66000\n' > "$OUT/$3.options"
  fi
}

# The transform takes one []byte, as the datagram target does: it shares
# that corpus.
build servers FuzzUpperASCII upper_ascii fuzz/testdata/fuzz/FuzzUDPDatagram
build fuzz FuzzTCPStream tcp_stream fuzz/testdata/fuzz/FuzzTCPStream
build fuzz FuzzUDPDatagram udp_datagram fuzz/testdata/fuzz/FuzzUDPDatagram
# The properties draw their scripts from the input; they have no corpus.
build fuzz FuzzTCPScripts tcp_scripts
build fuzz FuzzUDPScripts udp_scripts
