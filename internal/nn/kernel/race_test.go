//go:build race

package kernel

// raceEnabled: the race detector makes sync.Pool drop items on purpose.
const raceEnabled = true
