package ci

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// instructions returns the Dockerfile's instructions, continuation lines joined, comments
// dropped, as [keyword, rest] pairs.
func instructions(t *testing.T, path string) [][2]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		cur += trimmed
		kw, rest, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(kw), strings.TrimSpace(rest)})
		cur = ""
	}
	return out
}

// The Dockerfile builds with scripts/build-static (which .ci/run runs, so the steps are
// checked without docker), in a build stage apart from a final stage that runs as a non-root
// user with a health check and the SQLite database on a volume.
func TestDockerfile(t *testing.T) {
	ins := instructions(t, "../../Dockerfile")
	var froms []int
	for i, in := range ins {
		if in[0] == "FROM" {
			froms = append(froms, i)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d FROM instructions: want a build stage and a final stage", len(froms))
	}
	build, final := ins[:froms[len(froms)-1]], ins[froms[len(froms)-1]:]
	script := false
	for _, in := range build {
		if in[0] == "RUN" && strings.Contains(in[1], "go build") {
			t.Errorf("RUN %s: the build steps belong in scripts/build-static, which CI runs", in[1])
		}
		if in[0] == "RUN" && regexp.MustCompile(`(^|[\s;&])scripts/build-static\b`).MatchString(in[1]) {
			script = true
		}
	}
	if !script {
		t.Error("no RUN of scripts/build-static in the build stage")
	}
	got := map[string]string{}
	for _, in := range final {
		got[in[0]] = in[1]
		if in[0] == "ENV" {
			got["ENV"] += " " + in[1]
		}
	}
	if u := got["USER"]; u == "" || u == "root" || strings.HasPrefix(u, "0") {
		t.Errorf("final stage USER = %q: want a non-root user", u)
	}
	if !strings.Contains(got["HEALTHCHECK"], "healthcheck") {
		t.Errorf("HEALTHCHECK = %q: want recoup healthcheck", got["HEALTHCHECK"])
	}
	vol := regexp.MustCompile(`"([^"]+)"`).FindStringSubmatch(got["VOLUME"])
	if vol == nil {
		t.Fatalf("VOLUME = %q", got["VOLUME"])
	}
	if !strings.Contains(got["ENV"], "DATABASE_URL="+vol[1]+"/") {
		t.Errorf("DATABASE_URL is not on the volume %s: ENV%s", vol[1], got["ENV"])
	}
	if !strings.Contains(got["ENV"], "RECOUP_LISTEN=0.0.0.0:") {
		t.Errorf("the container must listen beyond its loopback: ENV%s", got["ENV"])
	}
}

// CI runs the build script, so that a change breaking the image's build fails CI.
func TestCIRunsTheBuildScript(t *testing.T) {
	data, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	for _, line := range strings.Split(string(data), "\n") {
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "#") && strings.Contains(l, "scripts/build-static") {
			ran = true
		}
	}
	if !ran {
		t.Error(".ci/run does not run scripts/build-static")
	}
	st, err := os.Stat("../../scripts/build-static")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o111 == 0 {
		t.Error("scripts/build-static is not executable: the Dockerfile runs it directly")
	}
	if out, err := exec.Command("bash", "-n", "../../scripts/build-static").CombinedOutput(); err != nil {
		t.Errorf("bash -n scripts/build-static: %v\n%s", err, out)
	}
}
