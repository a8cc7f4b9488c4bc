package lint

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// kargsDir holds bootc's kernel argument files.
const kargsDir = "usr/lib/bootc/kargs.d"

// kargsFile is the format bootc accepts; any other key is an error.
type kargsFile struct {
	Kargs              []string `toml:"kargs"`
	MatchArchitectures []string `toml:"match-architectures"`
}

// parseKargs checks one kargs.d file as bootc reads it.
func parseKargs(data string) error {
	var kf kargsFile
	md, err := toml.Decode(data, &kf)
	if err != nil {
		return err
	}
	if extra := md.Undecoded(); len(extra) > 0 {
		var keys []string
		for _, k := range extra {
			keys = append(keys, k.String())
		}
		return fmt.Errorf("unknown key %s (only kargs and match-architectures are allowed)", strings.Join(keys, ", "))
	}
	if !md.IsDefined("kargs") {
		return fmt.Errorf("no kargs key")
	}
	return nil
}
