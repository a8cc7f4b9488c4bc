package sysext

// architectures maps Go's (and OCI's) architecture names to systemd's
// (src/basic/architecture.c), the names ARCHITECTURE= takes.
var architectures = map[string]string{
	"386":      "x86",
	"amd64":    "x86-64",
	"arm":      "arm",
	"arm64":    "arm64",
	"loong64":  "loongarch64",
	"mips":     "mips",
	"mipsle":   "mips-le",
	"mips64":   "mips64",
	"mips64le": "mips64-le",
	"ppc64":    "ppc64",
	"ppc64le":  "ppc64-le",
	"riscv64":  "riscv64",
	"s390x":    "s390x",
}

// Architecture returns systemd's name of an OCI image's architecture, or
// "" when systemd has none (the release then names no architecture).
func Architecture(oci string) string { return architectures[oci] }
