//go:build !unix

package fuzz

// keepEngineFilesFromCommands does nothing where the fuzzing engine passes
// its worker no inheritable descriptors.
func keepEngineFilesFromCommands() {}
