package updatelink_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/updatelink"
)

// Issue 19 item 5: the link secret can be rolled. Links signed with the old secret keep
// working while it is still listed; new links name the new key.
func TestRollTheLinkSecret(t *testing.T) {
	oldSecret, newSecret := []byte("the-old-link-secret-0123456789abcdef"), []byte("the-new-link-secret-0123456789abcdef")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	exp := now.Add(24 * time.Hour)
	before, err := updatelink.NewSigner(oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := before.Issue(updatelink.Update, 7, exp)
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := updatelink.NewKeyedSigner([]updatelink.Key{{ID: 1, Secret: newSecret}, {ID: 0, Secret: oldSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := rolled.Verify(sent, updatelink.Update, now); err != nil || c.CaseID != 7 {
		t.Fatalf("a link sent before the roll: %+v %v", c, err)
	}
	fresh, err := rolled.Issue(updatelink.Update, 8, exp)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := base64.RawURLEncoding.DecodeString(fresh); b[0]>>4 != 1 {
		t.Fatalf("a new link names key %d, want 1", b[0]>>4)
	}
	if _, err := before.Verify(fresh, updatelink.Update, now); !errors.Is(err, updatelink.ErrInvalid) {
		t.Fatalf("the old secret alone verifies a link of the new key: %v", err)
	}
	retired, err := updatelink.NewKeyedSigner([]updatelink.Key{{ID: 1, Secret: newSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := retired.Verify(sent, updatelink.Update, now); !errors.Is(err, updatelink.ErrInvalid) {
		t.Fatalf("a link of a retired key: %v, want ErrInvalid", err)
	}
	if _, err := retired.Verify(fresh, updatelink.Update, now); err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]updatelink.Key{
		"duplicate id": {{ID: 1, Secret: newSecret}, {ID: 1, Secret: oldSecret}},
		"id too large": {{ID: 16, Secret: newSecret}},
		"short secret": {{ID: 2, Secret: []byte("short")}},
	} {
		if _, err := updatelink.NewKeyedSigner(keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
