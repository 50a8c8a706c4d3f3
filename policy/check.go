package policy

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// The structural check walks the parsed YAML against the schema types of file.go before anything
// is decoded, so that every unknown key and every value of the wrong type is reported at once,
// each at its own line and column, with a suggestion. The decoder stops at the first.

// check reports the structural problems of the document root.
func (v *validator) check(root ast.Node) {
	if root == nil {
		return
	}
	if doc, ok := root.(*ast.DocumentNode); ok {
		root = doc.Body
	}
	if root == nil || root.Type() == ast.NullType {
		return // an empty file: every setting takes its default
	}
	v.checkNode("$", root, reflect.TypeFor[file]())
}

func (v *validator) checkNode(path string, n ast.Node, t reflect.Type) {
	n = v.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		pairs, ok := mappingPairs(n)
		if !ok {
			v.failAt(n, path, "want a mapping of keys (key: value), got %s", describe(n))
			return
		}
		fields := schemaFields(t)
		seen := map[string]bool{}
		for _, mv := range pairs {
			key := keyString(mv.Key)
			kpath := path + "." + key
			if seen[key] {
				v.failAtHint(mv.Key, kpath, "", "%q is set twice", key)
				continue
			}
			seen[key] = true
			ft, ok := fields[key]
			if !ok {
				v.failAtHint(mv.Key, kpath, suggest(key, keys(fields)), "unknown key %q", key)
				continue
			}
			v.checkNode(kpath, mv.Value, ft)
		}
	case reflect.Map:
		pairs, ok := mappingPairs(n)
		if !ok {
			v.failAt(n, path, "want a mapping (key: value), got %s", describe(n))
			return
		}
		for _, mv := range pairs {
			v.checkNode(path+"."+keyString(mv.Key), mv.Value, t.Elem())
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			v.failAtHint(n, path, "write a list as [a, b] or one \"- item\" per line", "want a list, got %s", describe(n))
			return
		}
		for i, e := range seq.Values {
			v.checkNode(fmt.Sprintf("%s[%d]", path, i), e, t.Elem())
		}
	case reflect.Int:
		if n.Type() != ast.IntegerType {
			v.failAtHint(n, path, "write a whole number without quotes, e.g. 10", "want a whole number, got %s", describe(n))
		}
	case reflect.Bool:
		if n.Type() != ast.BoolType {
			v.failAtHint(n, path, "write true or false", "want true or false, got %s", describe(n))
		}
	case reflect.String:
		switch n.Type() {
		case ast.StringType, ast.LiteralType, ast.IntegerType, ast.FloatType, ast.BoolType:
		default:
			v.failAtHint(n, path, "quote the value if it is text", "want a single value, got %s", describe(n))
		}
	}
}

// unwrap looks through anchors, aliases and tags to the value. An anchor is defined before its
// aliases in document order, which is the order of the walk.
func (v *validator) unwrap(n ast.Node) ast.Node {
	for range 100 { // an alias cycle is not a policy
		switch x := n.(type) {
		case *ast.AnchorNode:
			if v.anchors == nil {
				v.anchors = map[string]ast.Node{}
			}
			v.anchors[x.Name.String()] = x.Value
			n = x.Value
		case *ast.AliasNode:
			target, ok := v.anchors[x.Value.String()]
			if !ok {
				return n
			}
			n = target
		case *ast.TagNode:
			n = x.Value
		default:
			return n
		}
	}
	return n
}

func mappingPairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}, true
	}
	return nil, false
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if tok := k.GetToken(); tok != nil {
		return tok.Value
	}
	return k.String()
}

func describe(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.IntegerType:
		return "the number " + n.String()
	case ast.FloatType:
		return "the decimal number " + n.String()
	case ast.BoolType:
		return n.String() + " (true/false)"
	case ast.AliasType:
		return "an alias"
	}
	return fmt.Sprintf("%q", strings.TrimSpace(n.String()))
}

// schemaFields maps each YAML key of struct type t (inline structs included) to its type.
func schemaFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for k, ft := range schemaFields(f.Type) {
				out[k] = ft
			}
			continue
		}
		if name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the known key closest to an unknown one, or lists the known keys.
func suggest(key string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if d := distance(key, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(2, len(key)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	for _, k := range known {
		if strings.Contains(k, key) || strings.Contains(key, k) {
			return fmt.Sprintf("did you mean %q?", k)
		}
	}
	return "known keys here: " + strings.Join(known, ", ")
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// failAt records a problem at node n.
func (v *validator) failAt(n ast.Node, path, format string, args ...any) {
	v.failAtHint(n, path, "", format, args...)
}

func (v *validator) failAtHint(n ast.Node, path, hint, format string, args ...any) {
	p := Problem{File: v.name, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
	if tok := firstToken(n); tok != nil && tok.Position != nil {
		p.Line, p.Column = tok.Position.Line, tok.Position.Column
	}
	v.problems = append(v.problems, p)
}

// firstToken is the token where n starts: for a mapping, its first key.
func firstToken(n ast.Node) *token.Token {
	if pairs, ok := mappingPairs(n); ok && len(pairs) > 0 {
		return pairs[0].Key.GetToken()
	}
	return n.GetToken()
}
