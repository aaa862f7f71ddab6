package fuzzspec

import (
	"encoding/json"
	"strings"
)

// Explored is what a property's run has covered so far. Package fuzz logs
// it as one line of the property's test output: "progress: {...}" every
// few seconds while the property runs (without Situations), and
// "explored: {...}" when it ends. The campaign reads both from go test
// -json as they come: it prints the progress to the terminal and the
// explored situations in its summary.
type Explored struct {
	Property string `json:"property"`
	// Cases is how many cases were run and judged before the first
	// failure, that one included: the cases rapid shrinks it with are not
	// counted.
	Cases int `json:"cases"`
	// Checks is how many cases the run was asked for (-rapid.checks).
	Checks int `json:"checks"`
	// Failures is how many confirmed failures were found: 0, or 1 once
	// rapid shrinks the first (a failure that did not repeat is not one).
	Failures int `json:"failures"`
	// Seconds is how long the cases took so far.
	Seconds float64 `json:"seconds"`
	// Situations are the protocol situations the property can reach, in
	// its order, each with the number of cases that reached it: 0 for one
	// never reached.
	Situations []Situation `json:"situations,omitempty"`
}

// Situation is one protocol situation and the number of cases that
// reached it.
type Situation struct {
	Name  string `json:"name"`
	Cases int    `json:"cases"`
}

// CasePrefix starts the line a property or fuzz target logs with a failing
// case as the steps a person would type, on the lines after it (the
// case's String): the campaign shows them with the failure.
const CasePrefix = "case:\n"

// The prefixes of the lines that carry an Explored.
const (
	ProgressPrefix = "progress: "
	ExploredPrefix = "explored: "
)

// Line is x as the line that carries it, after prefix (ProgressPrefix or
// ExploredPrefix).
func (x Explored) Line(prefix string) string {
	b, err := json.Marshal(x)
	if err != nil {
		panic(err) // an Explored always marshals
	}
	return prefix + string(b)
}

// ParseExplored reads a line written by Line: the Explored it carries and
// its prefix; ok is false for any other text.
func ParseExplored(text string) (x Explored, prefix string, ok bool) {
	for _, p := range []string{ProgressPrefix, ExploredPrefix} {
		if rest, found := strings.CutPrefix(text, p); found && strings.HasPrefix(rest, "{") {
			if json.Unmarshal([]byte(rest), &x) == nil && x.Property != "" {
				return x, p, true
			}
		}
	}
	return Explored{}, "", false
}

// Rate is the cases run per second, 0 before any time has passed.
func (x Explored) Rate() float64 {
	if x.Seconds <= 0 {
		return 0
	}
	return float64(x.Cases) / x.Seconds
}
