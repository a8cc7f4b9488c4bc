package butane

import "strings"

// install is a unit's [Install] section.
type install struct {
	WantedBy, RequiredBy, UpheldBy, Alias, Also []string
	DefaultInstance                             string
}

// parseInstall reads the [Install] sections of a unit and its drop-ins, in
// order: a later empty assignment clears a list, as in systemd.
func parseInstall(texts ...string) install {
	var in install
	for _, text := range texts {
		section := ""
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "" || line[0] == '#' || line[0] == ';':
			case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
				section = line[1 : len(line)-1]
			case section == "Install":
				k, v, ok := strings.Cut(line, "=")
				if !ok {
					continue
				}
				k, v = strings.TrimSpace(k), strings.TrimSpace(v)
				var list *[]string
				switch k {
				case "WantedBy":
					list = &in.WantedBy
				case "RequiredBy":
					list = &in.RequiredBy
				case "UpheldBy":
					list = &in.UpheldBy
				case "Alias":
					list = &in.Alias
				case "Also":
					list = &in.Also
				case "DefaultInstance":
					in.DefaultInstance = v
				}
				if list == nil {
					continue
				}
				if v == "" {
					*list = nil
				}
				*list = append(*list, strings.Fields(v)...)
			}
		}
	}
	return in
}

// templateOf returns the template of an instance name ("getty@tty1.service"
// → "getty@.service") and the instance, or "" when name is no instance.
func templateOf(name string) (template, instance string) {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at {
		return "", ""
	}
	return name[:at+1] + name[dot:], name[at+1 : dot]
}
