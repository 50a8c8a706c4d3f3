package policy

import (
	"reflect"
	"strings"
	"testing"
)

// Every setting an arm may override has words for the dashboard and policy check: a key added
// to the rules without words fails here.
func TestEveryOverrideHasWords(t *testing.T) {
	for key, ft := range schemaFields(reflect.TypeFor[RulesFile]()) {
		keys := []string{key}
		if ft == reflect.TypeFor[*retry]() || ft == reflect.TypeFor[*campaign]() {
			keys = nil
			for sub := range schemaFields(ft.Elem()) {
				keys = append(keys, key+"."+sub)
			}
		}
		for _, k := range keys {
			if w := overrideWords[k]; w == "" || strings.Contains(w, "_") {
				t.Errorf("no words for %s", k)
			}
		}
	}
}
