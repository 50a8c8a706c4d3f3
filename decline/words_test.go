package decline

import (
	"strings"
	"testing"
)

// Every decline code the classifier knows reads as words on the dashboard, not as the code.
func TestEveryKnownCodeHasWords(t *testing.T) {
	for code := range declineCodes {
		if _, ok := codeWords[code]; !ok {
			t.Errorf("decline code %q has no words", code)
		}
	}
	if got := CodeWords("insufficient_funds"); strings.Contains(got, "_") || got == "insufficient funds" {
		t.Errorf("CodeWords(insufficient_funds) = %q", got)
	}
	if got := CodeWords("some_new_code"); got != "some new code" {
		t.Errorf("an unknown code reads %q", got)
	}
	if got := AdviceWords("do_not_try_again"); !strings.Contains(got, "do not try again") {
		t.Errorf("AdviceWords = %q", got)
	}
}
