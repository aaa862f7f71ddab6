package report

import (
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

// Write writes r as JSON and Markdown to the paths Paths(path) gives,
// creating their directory if needed, and returns those paths.
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
	return jsonPath, mdPath, nil
}
