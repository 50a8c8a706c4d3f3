package templates

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/recoup-hq/recoup"
)

// CampaignNames lists the template names a campaign step may name with the overrides under dir
// ("" for none): every name with a subject or a body of its own in some locale, shipped or
// added by dir, and "default" (the default words of the step's tone), but not the names of the
// notices sent outside the campaign. A policy naming any other template would send the default
// words where its author meant words of their own: the policy check refuses it
// (policy.Options.Templates).
func CampaignNames(dir string) ([]string, error) {
	base, err := fs.Sub(embedded, "locales")
	if err != nil {
		return nil, err
	}
	layers := []fs.FS{base}
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, recoup.Errorf(recoup.EINVALID, "templates: %q is not a directory", dir)
		}
		layers = append(layers, os.DirFS(dir))
	}
	var names []string
	for _, fsys := range layers {
		for _, loc := range localeNames(fsys) {
			file := path.Join(loc, "messages.tmpl")
			src, err := fs.ReadFile(fsys, file)
			if err != nil {
				continue // a locale may override the layouts alone
			}
			t, err := texttemplate.New(file).Parse(string(src))
			if err != nil {
				return nil, recoup.Errorf(recoup.EINVALID, "templates: %s: %w", file, err)
			}
			for _, d := range t.Templates() {
				kind, rest, ok := strings.Cut(d.Name(), "/")
				if !ok || kind != "subject" && kind != "body" {
					continue
				}
				name, _, _ := strings.Cut(rest, "/") // subject/<name>/<tone>
				if !slices.Contains(Notices, name) {
					names = append(names, name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
