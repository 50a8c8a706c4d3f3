package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deploy/recoup.service keeps its hardening, and systemd accepts it where systemd-analyze is
// installed (with ExecStart pointed at a binary that exists here).
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("../../deploy/recoup.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	for _, want := range []string{
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
		"DynamicUser=yes", "StateDirectory=recoup", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=",
		"SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes", "UMask=0077",
		"EnvironmentFile=", "ExecStart=/usr/local/bin/recoup serve", "DATABASE_URL=/var/lib/recoup/",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "STRIPE_SECRET_KEY=") {
		t.Error("a secret in the unit file: it belongs in the EnvironmentFile")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	path := filepath.Join(t.TempDir(), "recoup.service")
	local := strings.Replace(unit, "ExecStart=/usr/local/bin/recoup serve", "ExecStart=/bin/true serve", 1)
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
