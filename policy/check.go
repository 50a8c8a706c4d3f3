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

// check reports the structural problems of the document root and removes from the tree what
// it refuses (an unknown key, a value of the wrong type), so that the rest can still be decoded
// and validated in the same pass. It reports whether anything is left to decode.
func (v *validator) check(root ast.Node) bool {
	if root == nil {
		return false
	}
	if doc, ok := root.(*ast.DocumentNode); ok {
		root = doc.Body
	}
	if root == nil || root.Type() == ast.NullType {
		return false
	}
	return v.checkNode("$", root, reflect.TypeFor[file]())
}

// checkNode reports the structural problems of n, which should hold a value of type t. It
// removes the refused keys and list items below n, and reports false when n itself is to be
// left out: a value of the wrong type.
func (v *validator) checkNode(path string, n ast.Node, t reflect.Type) bool {
	n = v.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		pairs, ok := mappingPairs(n)
		if !ok {
			v.refuse(n, path, "", "want a mapping of keys (key: value), got %s", describe(n))
			return false
		}
		fields := schemaFields(t)
		seen := map[string]bool{}
		kept := pairs[:0:0]
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
				hint := suggest(key, keys(fields))
				if near := closest(key, keys(fields)); near != "" {
					// The key meant is missing because it is misspelt: one problem, not two.
					v.refused[path+"."+near] = true
				}
				v.failAtHint(mv.Key, kpath, hint, "unknown key %q", key)
				continue
			}
			if v.checkNode(kpath, mv.Value, ft) {
				kept = append(kept, mv)
			}
		}
		return keepPairs(n, kept)
	case reflect.Map:
		pairs, ok := mappingPairs(n)
		if !ok {
			v.refuse(n, path, "", "want a mapping (key: value), got %s", describe(n))
			return false
		}
		kept := pairs[:0:0]
		for _, mv := range pairs {
			if v.checkNode(path+"."+keyString(mv.Key), mv.Value, t.Elem()) {
				kept = append(kept, mv)
			}
		}
		return keepPairs(n, kept)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			v.refuse(n, path, "write a list as [a, b] or one \"- item\" per line", "want a list, got %s", describe(n))
			return false
		}
		kept := seq.Values[:0:0]
		for i, e := range seq.Values {
			if v.checkNode(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()) {
				kept = append(kept, e)
			}
		}
		// A list with a refused item is left out whole: without the item, the others' indexes
		// would shift and the problems found in them would name the wrong ones.
		if len(kept) < len(seq.Values) {
			v.refused[path] = true
			return false
		}
	case reflect.Int:
		if n.Type() != ast.IntegerType {
			v.refuse(n, path, "write a whole number without quotes, e.g. 10", "want a whole number, got %s", describe(n))
			return false
		}
	case reflect.Float64:
		if n.Type() != ast.FloatType && n.Type() != ast.IntegerType {
			v.refuse(n, path, "write a number without quotes, e.g. 0.95", "want a number, got %s", describe(n))
			return false
		}
	case reflect.Bool:
		if n.Type() != ast.BoolType {
			v.refuse(n, path, "write true or false", "want true or false, got %s", describe(n))
			return false
		}
	case reflect.String:
		switch n.Type() {
		case ast.StringType, ast.LiteralType, ast.IntegerType, ast.FloatType, ast.BoolType:
		default:
			v.refuse(n, path, "quote the value if it is text", "want a single value, got %s", describe(n))
			return false
		}
	}
	return true
}

// refuse reports a value of the wrong type at path. The value is left out of the decoding, and
// a check that the setting is present does not report it missing as well.
func (v *validator) refuse(n ast.Node, path, hint, format string, args ...any) {
	v.refused[path] = true
	v.failAtHint(n, path, hint, format, args...)
}

// keepPairs leaves only the kept pairs in the mapping n. It reports false when n is a single
// pair that is not kept: its parent leaves it out.
func keepPairs(n ast.Node, kept []*ast.MappingValueNode) bool {
	switch x := n.(type) {
	case *ast.MappingNode:
		x.Values = kept
	case *ast.MappingValueNode:
		return len(kept) == 1
	}
	return true
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
	if near := closest(key, known); near != "" {
		return fmt.Sprintf("did you mean %q?", near)
	}
	return "known keys here: " + strings.Join(known, ", ")
}

// closest is the known name an unknown one is most likely a misspelling of, "" if none is
// close enough: the nearest by edit distance, else one that contains the other.
func closest(name string, known []string) string {
	if near := nearest(name, known); near != "" {
		return near
	}
	for _, k := range known {
		if strings.Contains(k, name) || strings.Contains(name, k) {
			return k
		}
	}
	return ""
}

// nearest is the known name within a few edits of name ("" if none): a misspelling.
func nearest(name string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if d := distance(name, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(2, len(name)/3) && bestD < len(name) {
		return best
	}
	return ""
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
