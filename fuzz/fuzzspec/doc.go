// Package fuzzspec is what package fuzz and cmd/campaign both know about the
// cases a fuzzing run leaves behind: where a failing case is saved
// ([FailureDir], [FailuresEnv]), how an unconfirmed one is named
// ([UnconfirmedSuffix]), and the one command that replays a case
// ([ReplayCommand]).
//
// It is a package of its own so that the campaign can share these without
// linking package fuzz: rapid, which fuzz imports, panics at start-up on a
// malformed RAPID_ variable, which the campaign reports in one line instead.
// It imports nothing that links rapid (its test checks that).
package fuzzspec
