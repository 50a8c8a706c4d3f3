package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/recoup-hq/recoup"
)

// The JSON Schema for editors (docs/policy.schema.json) must describe exactly the keys the
// loader accepts, and every shipped policy must validate against it.

const schemaFile = "../docs/policy.schema.json"

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return s
}

func schemaKeys(root, node map[string]any, prefix string, out map[string]bool) {
	node = deref(root, node)
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			schemaKeys(root, v.(map[string]any), p, out)
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		schemaKeys(root, items, prefix+"[]", out)
	}
	if ap, ok := node["additionalProperties"].(map[string]any); ok {
		out[prefix+".*"] = true
		schemaKeys(root, ap, prefix+".*", out)
	}
}

func deref(root, node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name := strings.TrimPrefix(ref, "#/definitions/")
		node = root["definitions"].(map[string]any)[name].(map[string]any)
	}
}

func TestSchemaMatchesTheLoader(t *testing.T) {
	loader := acceptedKeys()
	root := loadSchema(t)
	inSchema := map[string]bool{}
	schemaKeys(root, root, "", inSchema)
	var missing, extra []string
	for k := range loader {
		if !inSchema[k] {
			missing = append(missing, k)
		}
	}
	for k := range inSchema {
		if !loader[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("%s is out of step with the loader:\naccepted but not in the schema: %v\nin the schema but refused: %v", schemaFile, missing, extra)
	}

	// The enumerations are the domain's.
	var actions []string
	for _, a := range recoup.FinalActions {
		actions = append(actions, string(a))
	}
	var cats []string
	for _, c := range recoup.Categories {
		cats = append(cats, string(c))
	}
	for path, want := range map[string][]string{
		"final_action":                  actions,
		"campaign.steps[].categories[]": cats,
		"mode":                          {string(ModeAct), string(ModeObserve)},
	} {
		if got := enumAt(t, root, path); !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("schema enum at %s = %v, want %v", path, got, want)
		}
	}
}

// acceptedKeys lists every key path the loader accepts: "retry.hour", "segments[].name",
// "declines.retry_within.*".
func acceptedKeys() map[string]bool {
	loader := map[string]bool{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			for k, ft := range schemaFields(t) {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				loader[p] = true
				walk(p, ft)
			}
		case reflect.Slice:
			walk(prefix+"[]", t.Elem())
		case reflect.Map:
			loader[prefix+".*"] = true
			walk(prefix+".*", t.Elem())
		}
	}
	walk("", reflect.TypeFor[file]())
	return loader
}

// The annotated example sets every option the loader accepts, so it documents them all.
func TestExampleCoversEveryOption(t *testing.T) {
	src, err := os.ReadFile("../policies/examples/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseWith("example.yaml", src, exampleTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Segments) == 0 {
		t.Fatal("the example has no segments")
	}
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				if strings.HasSuffix(prefix, "retry_within") || strings.HasSuffix(prefix, "declines.schedule") || strings.HasSuffix(prefix, "paydays_by_country") {
					p = prefix + ".*"
				}
				used[p] = true
				walk(p, val)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", doc)
	var missing []string
	for k := range acceptedKeys() {
		// A segment's rules are the top level's: the example need not repeat each one there.
		if rest, ok := strings.CutPrefix(k, "segments[]."); ok && rest != "name" && rest != "when" && acceptedKeys()[rest] {
			continue
		}
		// An arm's rules too.
		if rest, ok := strings.CutPrefix(k, "experiment.arms[]."); ok && rest != "name" && rest != "stripe" && rest != "weight" && acceptedKeys()[rest] {
			continue
		}
		if !used[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("policies/examples/example.yaml does not show %v", missing)
	}
}

func sorted(xs []string) []string { xs = slices.Clone(xs); sort.Strings(xs); return xs }

func enumAt(t *testing.T, root map[string]any, path string) []string {
	t.Helper()
	node := root
	for _, part := range strings.Split(path, ".") {
		name, list := strings.CutSuffix(part, "[]")
		node = deref(root, node)["properties"].(map[string]any)[name].(map[string]any)
		if list {
			node = deref(root, node)["items"].(map[string]any)
		}
	}
	var out []string
	for _, v := range deref(root, node)["enum"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func TestShippedPoliciesValidateAgainstTheSchema(t *testing.T) {
	root := loadSchema(t)
	files, _ := filepath.Glob("../policies/*.yaml")
	examples, _ := filepath.Glob("../policies/examples/*.yaml")
	variants, _ := filepath.Glob("../policies/examples/optimize-variants/*.yaml")
	if len(variants) == 0 {
		t.Fatal("found no policies/examples/optimize-variants/*.yaml")
	}
	files = append(append(append(files, examples...), variants...), "default.yaml")
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseWith(f, src, exampleTemplates); err != nil {
				t.Fatalf("the loader refuses it: %v", err)
			}
			var doc any
			if err := yaml.Unmarshal(src, &doc); err != nil {
				t.Fatal(err)
			}
			if errs := validate(root, root, doc, "$"); len(errs) > 0 {
				t.Fatalf("schema violations:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
	// And the schema is not vacuous: it refuses what the loader refuses.
	for _, bad := range []string{"retyr: {}\n", "retry: {hour: 25}\n", "final_action: shred\n", "segments: [{name: x}]\n", "customer_wait: soon\n", "campaign: {steps: [{day: 1, template: a}, {after: soon, template: b}]}\n"} {
		var doc any
		_ = yaml.Unmarshal([]byte(bad), &doc)
		if errs := validate(root, root, doc, "$"); len(errs) == 0 {
			t.Errorf("the schema accepts %q", bad)
		}
	}
}

// validate checks doc against the subset of JSON Schema the policy schema uses.
func validate(root, s map[string]any, doc any, path string) []string {
	s = deref(root, s)
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(doc) }) {
		fail("%v not in %v", doc, enum)
	}
	if c, ok := s["not"].(map[string]any); ok && fmt.Sprint(c["const"]) == fmt.Sprint(doc) {
		fail("%v is not allowed", doc)
	}
	switch v := doc.(type) {
	case map[string]any:
		if typ, ok := s["type"]; ok && typ != "object" {
			fail("want %v, got an object", typ)
			return errs
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				fail("missing %s", r)
			}
		}
		for k, val := range v {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(root, ps, val, path+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unknown key %s", k)
				}
			case map[string]any:
				errs = append(errs, validate(root, ap, val, path+"."+k)...)
			}
		}
	case []any:
		if typ, ok := s["type"]; ok && typ != "array" {
			fail("want %v, got an array", typ)
			return errs
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range v {
				errs = append(errs, validate(root, items, e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case string:
		if typ, ok := s["type"]; ok && typ != "string" {
			fail("want %v, got a string", typ)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			fail("%q does not match %s", v, p)
		}
	case bool:
		if typ, ok := s["type"]; ok && typ != "boolean" {
			fail("want %v, got a boolean", typ)
		}
	case uint64, int64, int, float64:
		n := toFloat(v)
		if typ, ok := s["type"]; ok && typ != "integer" && typ != "number" {
			fail("want %v, got a number", typ)
		}
		if m, ok := s["minimum"].(float64); ok && n < m {
			fail("%v below %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			fail("%v above %v", n, m)
		}
	}
	return errs
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case uint64:
		return float64(n)
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, x.(string))
	}
	return out
}

// exampleTemplates are the templates the example policies may name: the shipped ones and those
// of policies/examples/templates (notify/templates' TestExamplePoliciesWithTheExampleTemplates
// loads the examples with that directory's names as read from it).
var exampleTemplates = Options{Templates: append(BuiltinTemplates(), "personal_note", "account_manager_note", "account_manager_call")}
