// Package lint checks bootable OS images: every check of bootc container
// lint, with the same ids and meaning, plus oslayer's own — chief among
// them usr-override, which finds derived layers that change base content
// under /usr. Targets are images (compared with their base) or rootfs
// directories (checked against their package databases), such as the root
// of a container build, where Finalize also cleans what must not ship.
//
// Results render as text, JSON, SARIF 2.1.0 and JUnit XML.
package lint
