package fuzz

import (
	"strconv"
	"testing"
)

// This file holds the native fuzz targets and nothing else, and their names
// appear in no other file under fuzz/: libFuzzer builds (ClusterFuzzLite,
// OSS-Fuzz) find a target by grepping for its name, compile this file as
// ordinary code with a testing shim of their own in place of package
// testing, and may leave the package's other test files out. So the targets
// use nothing of package testing beyond F.Add, F.Fuzz and T.Skip, and reach
// only non-test code.

// FuzzTCPScripts is the TCPScripts property driven by the fuzzing engine:
// the input is rapid's bitstream, so the engine's mutations change the drawn
// connections and steps piece by piece.
func FuzzTCPScripts(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		CheckPropertyInput(t, "FuzzTCPScripts", Properties[0], data)
	})
}

// FuzzUDPScripts is the UDPScripts property driven by the fuzzing engine.
func FuzzUDPScripts(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		CheckPropertyInput(t, "FuzzUDPScripts", Properties[1], data)
	})
}

// FuzzTCPStream writes the input on one connection in chunks of 1 + chunk
// bytes, half-closes, and requires upper(input) then EOF. Its seeds are
// Seeds in 1024-byte writes (the files under testdata/fuzz) and in 1-byte
// writes.
func FuzzTCPStream(f *testing.F) {
	for _, s := range Seeds {
		f.Add(s.Data, uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		CheckInput(t, "FuzzTCPStream", &Case{TCP: TCPStreamScript(data, chunk)})
	})
}

// FuzzUDPDatagram sends the input as one datagram and requires one reply,
// upper(input) cut at the declared maximum. Its seeds are Seeds, from the
// files under testdata/fuzz.
func FuzzUDPDatagram(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		CheckInput(t, "FuzzUDPDatagram", &Case{UDP: UDPDatagramScript(data)})
	})
}

// seedCorpus returns the files under testdata/fuzz that hold Seeds for the
// byte-driven targets, by path: the corpus of fuzz builds that ignore F.Add.
func seedCorpus() map[string]string {
	files := map[string]string{}
	for _, s := range Seeds {
		files["testdata/fuzz/FuzzTCPStream/"+s.Name] = "go test fuzz v1\n[]byte(" + strconv.Quote(string(s.Data)) + ")\nuint16(1023)\n"
		files["testdata/fuzz/FuzzUDPDatagram/"+s.Name] = "go test fuzz v1\n[]byte(" + strconv.Quote(string(s.Data)) + ")\n"
	}
	return files
}
