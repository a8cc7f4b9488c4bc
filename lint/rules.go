package lint

// rules lists every rule; Rules returns them sorted by ID.
var rules = []*Rule{
	// bootc container lint's checks, same ids and meaning.
	varRun, etcUsretc, bootcKargs, kernel, utf8Names, apiBaseDirectories, baseimageRoot,
	buildahInjected, baseimageComposefs, varLog, varTmpfiles, sysusersRule, nonemptyBoot, nonemptyRunTmp,
	// oslayer's own.
	usrOverride, bootableLabels, sqliteWAL, setuidAdded, optState, etcModified, varPkgDB, volumesRule, releaseLabels,
	// Between two releases (lint --previous OLD NEW).
	varUpdateLost, etcMerge, presetUpdateLost, accountChanged, kernelArgsRemoved,
	// Extension images against their host (lint NAME.raw --host IMAGE).
	extensionRelease, extensionHierarchy, extensionReload, extensionShadow, mutableShadow,
}
