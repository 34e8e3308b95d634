//go:build race

package gitobj

const deepChainLinks = 300_000
