package main

import (
	"fmt"
	"strings"

	"github.com/upcheck/upcheck/suites/check"
)

// labelFilter turns --only and --skip, comma-separated requirement IDs
// (TCP-EOF) and protocols (tcp, udp), into the ginkgo label filter that
// selects the same specs: every spec is labelled with its requirement ID
// and its protocol. It returns "" when neither is given, and an error
// naming the flag and the word it does not know.
func labelFilter(only, skip string) (string, error) {
	o, err := filterLabels("only", only)
	if err != nil {
		return "", err
	}
	s, err := filterLabels("skip", skip)
	if err != nil {
		return "", err
	}
	var parts []string
	if len(o) > 0 {
		parts = append(parts, "("+strings.Join(o, " || ")+")")
	}
	for _, l := range s {
		parts = append(parts, "!"+l)
	}
	return strings.Join(parts, " && "), nil
}

// filterLabels returns the labels a flag's list names: requirement IDs as
// SEMANTICS.md spells them, protocols in lower case.
func filterLabels(flag, list string) ([]string, error) {
	var labels []string
	for _, w := range strings.Split(list, ",") {
		w = strings.TrimSpace(w)
		switch lw := strings.ToLower(w); {
		case w == "":
		case lw == "tcp" || lw == "udp":
			labels = append(labels, lw)
		default:
			r, ok := check.Lookup(strings.ToUpper(w))
			if !ok {
				return nil, fmt.Errorf("-%s: %q is neither a requirement ID (%s, ...) nor a protocol (tcp, udp)", flag, w, check.Requirements[0].ID)
			}
			labels = append(labels, r.ID)
		}
	}
	return labels, nil
}
