package vigil_test

// The import rules of the architecture (DESIGN.md §2), checked with
// `go list -deps` so that a violation anywhere in the graph fails the build.

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "vigil"

type pkgInfo struct {
	path     string
	standard bool
	cgo      bool
}

// deps lists the packages that pattern pulls in, itself included.
func deps(t *testing.T, env []string, pattern ...string) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.Standard}} {{len .CgoFiles}}"}, pattern...)...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", pattern, err)
	}
	var ps []pkgInfo
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		ps = append(ps, pkgInfo{path: f[0], standard: f[1] == "true", cgo: f[2] != "0"})
	}
	return ps
}

// rule says which dependencies a group of packages may have.
type rule struct {
	name    string
	pattern string
	allowed func(dep string) bool // for non-standard dependencies
}

func inModule(p, dir string) bool {
	return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/")
}

var rules = []rule{
	{"domain imports the standard library only", "./domain/...", func(d string) bool { return inModule(d, "domain") }},
	{"vision imports stdlib, cpuid and pigo only", "./vision/...", func(d string) bool {
		return inModule(d, "vision") || strings.HasPrefix(d, "github.com/klauspost/cpuid/") ||
			strings.HasPrefix(d, "github.com/esimov/pigo/") || strings.HasPrefix(d, "golang.org/x/sys/")
	}},
	{"ports import domain and vision only", "./ports/...", func(d string) bool {
		return inModule(d, "ports") || inModule(d, "domain") || inModule(d, "vision") || !strings.HasPrefix(d, module+"/")
	}},
	{"app imports no adapters", "./app/...", func(d string) bool { return !inModule(d, "adapters") && !inModule(d, "cmd") }},
	// Adapters may use their own binary's app types (configfile maps
	// edge.Settings), never the wiring in cmd.
	{"adapters import no cmd", "./adapters/...", func(d string) bool { return !inModule(d, "cmd") }},
}

func check(r rule, ps []pkgInfo) []string {
	var bad []string
	for _, p := range ps {
		if !p.standard && !r.allowed(p.path) {
			bad = append(bad, p.path)
		}
	}
	return bad
}

func TestImportRules(t *testing.T) {
	for _, r := range rules {
		if bad := check(r, deps(t, nil, r.pattern)); len(bad) > 0 {
			t.Errorf("%s: but it pulls in %v", r.name, bad)
		}
	}
}

// TestCloudBinariesArePureGo: vigil-validator and vigil-cloud build with
// CGO_ENABLED=0 and never pull in the camera or GPIO libraries.
func TestCloudBinariesArePureGo(t *testing.T) {
	ps := deps(t, []string{"CGO_ENABLED=0"}, "./cmd/vigil-validator", "./cmd/vigil-cloud")
	for _, p := range ps {
		if strings.Contains(p.path, "go4vl") || strings.Contains(p.path, "gpiod") || p.cgo {
			t.Errorf("cloud binaries pull in %s (cgo %v)", p.path, p.cgo)
		}
	}
}

// TestOnlyV4L2UsesCgo: of Vigil's own packages only adapters/v4l2 has cgo files.
func TestOnlyV4L2UsesCgo(t *testing.T) {
	for _, p := range deps(t, []string{"CGO_ENABLED=1"}, "./...") {
		if p.cgo && strings.HasPrefix(p.path, module+"/") && p.path != module+"/adapters/v4l2" {
			t.Errorf("%s uses cgo; only adapters/v4l2 may", p.path)
		}
	}
}

// TestRulesCatchViolations makes sure the checker itself can fail.
func TestRulesCatchViolations(t *testing.T) {
	fake := []pkgInfo{{path: "fmt", standard: true}, {path: "vigil/domain"}, {path: "vigil/adapters/bbolt"}, {path: "go.etcd.io/bbolt"}}
	if bad := check(rules[0], fake); len(bad) != 2 {
		t.Errorf("domain rule found %v, want the adapter and bbolt", bad)
	}
	if bad := check(rules[3], fake); len(bad) != 1 || bad[0] != "vigil/adapters/bbolt" {
		t.Errorf("app rule found %v, want the adapter", bad)
	}
}
