package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Paths returns where Write puts the reports for the setting path
// (UPCHECK_REPORT): the JSON at path, with ".json" added when it has no
// extension, and the Markdown beside it with ".md" in place of the JSON's
// extension. A path ending in ".md" names the Markdown; the JSON then goes
// beside it with ".json".
func Paths(path string) (jsonPath, mdPath string) {
	ext := filepath.Ext(path)
	switch ext {
	case "":
		return path + ".json", path + ".md"
	case ".md":
		return strings.TrimSuffix(path, ext) + ".json", path
	}
	return path, strings.TrimSuffix(path, ext) + ".md"
}

// HTMLPath returns where Write puts the HTML page beside the JSON report
// at jsonPath: the same name with ".html".
func HTMLPath(jsonPath string) string {
	return strings.TrimSuffix(jsonPath, filepath.Ext(jsonPath)) + ".html"
}

// Write writes r as JSON and Markdown to the paths Paths(path) gives, and
// as the HTML page to HTMLPath beside them, creating their directory if
// needed, and returns the JSON's and the Markdown's paths.
func Write(path string, r Report) (jsonPath, mdPath string, err error) {
	jsonPath, mdPath = Paths(path)
	js, err := r.JSON()
	if err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(jsonPath), 0o755); err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(jsonPath, js, 0o644); err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(mdPath, []byte(r.Markdown()), 0o644); err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	page, err := r.HTML()
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(HTMLPath(jsonPath), page, 0o644); err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	return jsonPath, mdPath, nil
}

// WriteJUnit writes r as JUnit XML to path, creating its directory if
// needed.
func WriteJUnit(path string, r Report) error {
	b, err := r.JUnit()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Read reads a JSON report written by Write (or by another version of
// upcheck: fields it does not know are ignored). An error is one line
// naming the file.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report: %s: not a conformance report: %v", path, err)
	}
	if len(r.Requirements) == 0 && r.HarnessError == "" {
		return nil, fmt.Errorf("report: %s: not a conformance report: no requirements", path)
	}
	return &r, nil
}
