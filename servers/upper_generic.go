//go:build !amd64 || purego

package servers

// upperVector does nothing where there is no vector version: UpperASCII
// does all of b with upperSWAR.
func upperVector(b []byte) int { return 0 }
