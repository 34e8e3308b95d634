//go:build !race

package gitobj

const deepChainLinks = 1_500_000
