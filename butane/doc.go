// Package butane turns Butane configs into image content. Configs are
// translated by the real Butane library and parsed with Ignition's types;
// what Ignition would write at first boot is rendered at build time (files,
// directories, links, systemd units and their [Install] links, users and
// groups as sysusers.d entries, SSH keys and /var content as tmpfiles.d
// lines, kernel arguments as bootc kargs.d), and what only first boot can
// do (disks, file systems, password hashes, removing kernel arguments) is
// split into an Ignition config of the same spec version.
//
// The rendered entries can be applied to a root directory, written as a
// layer tarball, or appended to a base image as one reproducible layer.
package butane
